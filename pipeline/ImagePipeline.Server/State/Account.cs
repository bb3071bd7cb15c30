namespace ImagePipeline.Server.State;

/// <summary>A local account: a person (or a robot) who signs in. Passwords are stored as ASP.NET Core Identity PBKDF2 hashes, never as text.</summary>
public sealed class Account
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string PasswordHash { get; set; }
    /// <summary>Comma-separated: viewer, builder, approver, operator, admin.</summary>
    public required string Roles { get; set; }
    /// <summary>Set for a one-time password: the account can do nothing but change it.</summary>
    public bool MustChangePassword { get; set; }
    public DateTime CreatedAt { get; set; }

    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
