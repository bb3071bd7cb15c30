namespace ImagePipeline.Validation.Lab.Redfish;

/// <summary>The one account of the lab's BMCs (HTTP Basic, as most BMCs accept).</summary>
public sealed record RedfishCredentials(string UserName, string Password);
