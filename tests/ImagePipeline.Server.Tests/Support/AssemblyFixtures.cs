// One collection for the assembly: its tests run one at a time (servers, builds and the shared
// PostgreSQL are not written to share a moment), except the classes of OutageTests, which
// mostly wait out an outage they cause and run beside the rest.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
// The PostgreSQL container, if a test started one, is removed when the assembly's tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Server.Tests.Support.PostgresServer))]
// The browser for the web UI tests, if one started, is closed when the assembly's tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Browser.Chromium))]
// The tiny base a project run alone built for itself (tests/Shared/Seed), removed when its tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Seed.SeededBase))]
