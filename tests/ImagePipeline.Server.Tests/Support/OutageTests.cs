namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// Tests that take a store or a boot service away and wait through the outage on their own
/// servers, data directories and PostgreSQL (StoreOutageTests starts a dedicated one): most of
/// their time is waiting, so they run beside the assembly's other tests, one after the other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OutageTests
{
    public const string Name = "outages";
}
