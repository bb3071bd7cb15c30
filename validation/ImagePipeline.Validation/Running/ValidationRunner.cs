using System.Diagnostics;
using System.Text.Json;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Validation.Checks;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Running;

/// <summary>
/// Boots an image on every profile of a plan — in parallel, one vCPU each, as many at once as
/// there are cores — runs the checks in order on each, and writes the report, serial logs and
/// screenshots into <c>validation/</c> beside the image.
/// </summary>
public static class ValidationRunner
{
    public const string ReportDirectory = "validation";
    public const string ReportFile = "report.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <param name="imageDirectory">a built image: holds disk.qcow2</param>
    /// <param name="progress">one line per finished profile, for people watching</param>
    public static async Task<ValidationReport> RunAsync(string imageDirectory, ValidationPlan plan, Action<ProfileResult>? progress = null, CancellationToken cancellationToken = default)
    {
        var image = Path.Combine(imageDirectory, ArtifactStoreLayout.Qcow2Disk);
        if (!File.Exists(image))
            throw new HarnessException($"{imageDirectory} has no disk.qcow2; give a build output directory or an image id");
        var evidence = Path.Combine(imageDirectory, ReportDirectory);
        Directory.CreateDirectory(evidence);
        var watch = Stopwatch.StartNew();
        var accelerator = await Accelerator.ChooseAsync(image, cancellationToken);
        using var slots = new SemaphoreSlim(Math.Max(1, Environment.ProcessorCount));
        var results = await Task.WhenAll(plan.Profiles.Select(async machine =>
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                var result = await RunProfileAsync(image, machine, plan, evidence, accelerator, cancellationToken);
                progress?.Invoke(result);
                return result;
            }
            finally
            {
                slots.Release();
            }
        }));

        var report = new ValidationReport(Path.GetFileName(Path.GetFullPath(imageDirectory)), results.All(r => r.Passed), Math.Round(watch.Elapsed.TotalSeconds, 1), accelerator, results);
        await File.WriteAllTextAsync(Path.Combine(evidence, ReportFile), JsonSerializer.Serialize(report, Json) + "\n", cancellationToken);
        return report;
    }

    private static async Task<ProfileResult> RunProfileAsync(string image, QemuMachine machine, ValidationPlan plan, string evidence, string accelerator, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var serialLog = $"{machine.Name}.serial.log";
        var context = new CheckContext(evidence, machine.Name);
        var results = new List<CheckResult>();
        double? bootSeconds = null;
        string? harnessError = null;
        IReadOnlyList<string>? tail = null;
        var flakes = 0;
        QemuVm? vm = null;
        try
        {
            vm = await QemuVm.StartAsync(machine, image, plan.Checks.SelectMany(c => c.GuestPorts), accelerator, cancellationToken: cancellationToken);
            var failed = false;
            foreach (var check in plan.Checks)
            {
                if (failed)
                {
                    results.Add(new CheckResult(check.Name, CheckResult.NotRun, 0, "an earlier check failed", 0));
                    continue;
                }

                var (result, passedOnRetry) = await RunCheckAsync(vm, check, context, plan.Retries, cancellationToken);
                results.Add(result);
                flakes += passedOnRetry ? 1 : 0;
                failed = result.Outcome == CheckResult.Fail;
                if (check is ReadyCheck && !failed)
                    bootSeconds = Math.Round((DateTimeOffset.UtcNow - vm.StartedAt).TotalSeconds, 1);
            }

            if (failed)
                tail = vm.Console.LastLines(50);
        }
        catch (HarnessException e)
        {
            harnessError = e.Message;
            tail = vm?.Console.LastLines(50);
        }
        finally
        {
            if (vm is not null)
            {
                if (File.Exists(vm.SerialLogPath))
                    File.Copy(vm.SerialLogPath, Path.Combine(evidence, serialLog), overwrite: true);
                await vm.DisposeAsync();
            }
        }

        var passed = harnessError is null && results.All(r => r.Outcome == CheckResult.Pass);
        return new ProfileResult(machine.Name, Describe(machine), passed, Math.Round(watch.Elapsed.TotalSeconds, 1), bootSeconds,
            results, serialLog, context.Screenshots, harnessError, passed ? null : tail, flakes);
    }

    private static async Task<(CheckResult Result, bool PassedOnRetry)> RunCheckAsync(QemuVm vm, ValidationCheck check, CheckContext context, int retries, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        string? reason = null;
        for (var attempt = 1; attempt <= retries + 1; attempt++)
        {
            try
            {
                await check.RunAsync(vm, context, cancellationToken);
                var note = attempt > 1 ? $"passed on attempt {attempt} after: {reason}" : null;
                return (new CheckResult(check.Name, CheckResult.Pass, Math.Round(watch.Elapsed.TotalSeconds, 1), note, attempt), attempt > 1);
            }
            catch (CheckFailedException e)
            {
                reason = e.Message;
            }
        }

        return (new CheckResult(check.Name, CheckResult.Fail, Math.Round(watch.Elapsed.TotalSeconds, 1), reason, retries + 1), false);
    }

    private static string Describe(QemuMachine m) =>
        $"{m.Firmware.ToString().ToLowerInvariant()}, {m.MachineType}, disk {m.DiskBus.ToString().ToLowerInvariant()}, nic {m.Nic.ToString().ToLowerInvariant()}, {m.MemoryMiB} MiB, {m.Cpus} vCPU";
}
