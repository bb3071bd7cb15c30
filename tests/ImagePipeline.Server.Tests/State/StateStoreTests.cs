using ImagePipeline.Server.State;
using Npgsql;

namespace ImagePipeline.Server.Tests.State;

/// <summary>--database: what it accepts, and what it says about what it does not (never echoing a password).</summary>
public sealed class StateStoreTests
{
    private static StateStore For(string? database) => StateStore.For(new ServerOptions { DataDirectory = "/var/lib/imagepipe", Database = database });

    [Fact]
    public void No_database_is_the_embedded_store_under_the_data_directory()
    {
        var store = For(null);

        store.IsPostgres.ShouldBeFalse();
        store.Description.ShouldBe("embedded SQLite /var/lib/imagepipe/server/server.db");
    }

    [Fact]
    public void A_connection_string_and_a_URL_name_the_same_PostgreSQL()
    {
        var fromString = For("Host=db.example;Port=5433;Database=imagepipeline;Username=imagepipe;Password='p@ss;word'");
        var fromUrl = For("postgresql://imagepipe:p%40ss%3Bword@db.example:5433/imagepipeline");

        fromString.IsPostgres.ShouldBeTrue();
        new NpgsqlConnectionStringBuilder(fromUrl.ConnectionString).ShouldSatisfyAllConditions(
            b => b.Host.ShouldBe("db.example"), b => b.Port.ShouldBe(5433), b => b.Database.ShouldBe("imagepipeline"),
            b => b.Username.ShouldBe("imagepipe"), b => b.Password.ShouldBe("p@ss;word"));
        fromString.Description.ShouldNotContain("p@ss");
        fromString.Description.ShouldContain("db.example");
    }

    [Theory]
    [InlineData("Server=db;Flavour=strawberry;Password=hunter2", "is not a PostgreSQL connection string")]
    [InlineData("Database=imagepipeline;Password=hunter2", "names no server (Host=...)")]
    [InlineData("Host=db.example;Password=hunter2", "names no database (Database=...)")]
    [InlineData("postgresql://imagepipe:hunter2@/imagepipeline", "is not a PostgreSQL connection string")]
    public void A_bad_database_says_what_to_give_and_hides_the_password(string database, string problem)
    {
        var error = Should.Throw<ArgumentException>(() => For(database));

        error.Message.ShouldContain(problem);
        error.Message.ShouldContain("Host=db.example;Database=imagepipeline");
        error.Message.ShouldNotContain("hunter2");
    }
}
