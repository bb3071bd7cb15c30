using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;

namespace ImagePipeline.Server.Tests.Auth;

/// <summary>The first admin's one-time password never lands in a log: a server whose output is not a terminal writes it to a file only its user can read.</summary>
public sealed class FirstAdminTests : IDisposable
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-first-admin-");

    public void Dispose() => data.Delete(recursive: true);

    [Fact]
    public async Task A_server_logging_to_a_file_writes_the_one_time_password_to_a_private_file_and_not_to_its_output()
    {
        await using var server = await ServerProcess.StartAsync(data.FullName, adminPassword: null);
        var file = Path.Combine(data.FullName, "server", FirstAdmin.PasswordFileName);
        var password = (await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).Trim();
        using var client = new HttpClient { BaseAddress = server.Url };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FirstAdmin.Name}:{password}")));

        var account = JsonNode.Parse(await client.GetStringAsync("/api/v1/account/", TestContext.Current.CancellationToken))!;

        password.Length.ShouldBe(20);
        server.Output.ShouldNotContain(password);
        server.Output.ShouldContain(file);
        File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        account["mustChangePassword"]!.GetValue<bool>().ShouldBeTrue();
        (await client.GetAsync("/api/v1/sources/", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "a one-time password allows only changing it");
    }
}
