namespace ImagePipeline.Server.Auth;

/// <summary>
/// The roles, and the policies endpoints name. Deny by default: an endpoint that names no policy
/// needs a signed-in account with a role (the fallback policy); anonymous endpoints say so.
/// admin can do everything; each other role adds to reading (viewer).
/// </summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Builder = "builder";
    public const string Approver = "approver";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Builder, Approver, Operator, Admin];

    /// <summary>Policy names: what an endpoint needs.</summary>
    public static class Policies
    {
        /// <summary>Signed in, even with a one-time password still to change: the account endpoints only.</summary>
        public const string SignedIn = "signed-in";
        /// <summary>Read anything: any role.</summary>
        public const string Read = "read";
        /// <summary>Sources, triggers, builds.</summary>
        public const string Build = "build";
        /// <summary>Asking for a promotion.</summary>
        public const string Request = "request";
        /// <summary>Approving promotions.</summary>
        public const string Approve = "approve";
        /// <summary>Rollouts and machines.</summary>
        public const string Operate = "operate";
        /// <summary>Accounts and the job dashboard.</summary>
        public const string Administer = "administer";
    }

    /// <summary>Which roles each policy accepts.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Accepted = new Dictionary<string, string[]>
    {
        [Policies.Read] = [Viewer, Builder, Approver, Operator, Admin],
        [Policies.Build] = [Builder, Admin],
        [Policies.Request] = [Builder, Approver, Operator, Admin],
        [Policies.Approve] = [Approver, Admin],
        [Policies.Operate] = [Operator, Admin],
        [Policies.Administer] = [Admin],
    };
}
