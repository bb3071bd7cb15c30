namespace ImagePipeline.Server.Auth;

/// <summary>The policy (Roles.Policies) a page's POST handler needs: a form does something, and who may do it is said next to it.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class HandlerPolicyAttribute(string policy) : Attribute
{
    public string Policy { get; } = policy;

    /// <summary>No policy: the sign-in form, the one form for people who are not signed in yet.</summary>
    public const string Anyone = "anyone";
}
