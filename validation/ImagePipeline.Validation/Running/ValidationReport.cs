namespace ImagePipeline.Validation.Running;

/// <summary>The outcome of validating one image: per profile and per check, with evidence (written as validation/report.json beside the image).</summary>
public sealed record ValidationReport(string Image, bool Passed, double Seconds, string Accelerator, IReadOnlyList<ProfileResult> Profiles);

public sealed record ProfileResult(
    string Profile,
    string Hardware,
    bool Passed,
    double Seconds,
    /// <summary>Seconds from power-on to the ready marker.</summary>
    double? BootSeconds,
    IReadOnlyList<CheckResult> Checks,
    string SerialLog,
    IReadOnlyList<string> Screenshots,
    /// <summary>Set when the harness broke (QEMU would not start or died): the image was not judged.</summary>
    string? HarnessError,
    /// <summary>On failure: the last 50 console lines.</summary>
    IReadOnlyList<string>? ConsoleTail,
    int Flakes);

public sealed record CheckResult(string Check, string Outcome, double Seconds, string? Reason, int Attempts)
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string NotRun = "not-run";
}
