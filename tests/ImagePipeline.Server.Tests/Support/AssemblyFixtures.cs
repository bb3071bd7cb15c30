// The PostgreSQL container, if a test started one, is removed when the assembly's tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Server.Tests.Support.PostgresServer))]
// The browser for the web UI tests, if one started, is closed when the assembly's tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Browser.Chromium))]
