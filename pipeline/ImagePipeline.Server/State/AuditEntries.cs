namespace ImagePipeline.Server.State;

/// <summary>How promotion and rollout steps read in the audit log: emergencies marked EMERGENCY, image ids shortened the way operators read them.</summary>
public static class AuditEntries
{
    public static AuditEntry For(string actor, string action, bool emergency, string detail, DateTime at) =>
        new() { At = at, Actor = actor, Action = emergency ? $"EMERGENCY {action}" : action, Detail = detail };

    /// <summary>The first 12 hex digits of an image id.</summary>
    public static string ShortId(string imageId) => imageId.Length > 12 ? imageId[..12] : imageId;
}
