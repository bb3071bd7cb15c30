using ImagePipeline.Server.Auth;

namespace ImagePipeline.Server.Tests.Auth;

public sealed class OidcRoleMapTests
{
    [Fact]
    public void Groups_map_to_the_union_of_their_roles_in_the_servers_order_and_a_bad_entry_says_what_to_write()
    {
        var map = OidcRoleMap.Parse(["release-managers=operator+approver", "sre=viewer", "cn=ops,ou=groups=admin", "sre=builder"]);
        var settings = new OidcSettings(new Uri("https://idp.example/"), "client", null, OidcSettings.DefaultRoleClaim, map, []);

        OidcRoleMap.RolesFor(settings, ["release-managers", "sre"]).ShouldBe(["viewer", "builder", "approver", "operator"]);
        OidcRoleMap.RolesFor(settings, ["cn=ops,ou=groups"]).ShouldBe(["admin"], "a group may hold '=': the last one splits");
        OidcRoleMap.RolesFor(settings, ["contractors"]).ShouldBeEmpty();
        Should.Throw<FormatException>(() => OidcRoleMap.Parse(["ops"])).Message.ShouldContain("give GROUP=ROLE");
        Should.Throw<FormatException>(() => OidcRoleMap.Parse(["ops=root"])).Message.ShouldContain("no role 'root'; the roles are viewer, builder, approver, operator, admin");
    }
}
