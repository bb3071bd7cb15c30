namespace ImagePipeline.Builder.Installer;

/// <param name="EnvironmentDirectory">vmlinuz and initrd.img: the installer, served where the deploy environment would be</param>
/// <param name="FilesDirectory">the preseed and the mirror, served under the boot file root's <see cref="InstallerEnvironmentBuilder.FilesDirectory"/></param>
/// <param name="Packages">packages in the set the installer installs</param>
/// <param name="MirrorBytes">the set's .deb files, in bytes</param>
public sealed record InstallerEnvironmentResult(string EnvironmentDirectory, string FilesDirectory, int Packages, long MirrorBytes);
