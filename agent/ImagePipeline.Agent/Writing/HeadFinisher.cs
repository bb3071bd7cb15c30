using ImagePipeline.Agent.Disks;

namespace ImagePipeline.Agent.Writing;

/// <summary>
/// The deployer's last edits before a verified image becomes bootable (<see cref="ImageWriter"/>):
/// it may change the image's first MiB, still in memory (<paramref name="head"/>: the partition
/// table, the agent's configuration), and write to the disk outside that MiB (a backup GPT at its
/// end). The writer then writes the first MiB once, last. It runs only after the length, the hash
/// and the signature are right; if it throws, the first MiB stays as it was.
/// </summary>
public delegate void HeadFinisher(Span<byte> head, IBlockDevice target);
