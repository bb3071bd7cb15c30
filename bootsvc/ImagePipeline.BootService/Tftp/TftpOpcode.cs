namespace ImagePipeline.BootService.Tftp;

/// <summary>RFC 1350 §5 opcodes, and OACK from RFC 2347.</summary>
public enum TftpOpcode : ushort
{
    ReadRequest = 1,
    WriteRequest = 2,
    Data = 3,
    Ack = 4,
    Error = 5,
    OptionAck = 6,
}
