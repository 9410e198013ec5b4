using Lawcat.IO;
using static TorchSharp.torch;

namespace Lawcat.Tests.Loading;

/// <summary>The safetensors reader accepts exactly what the format's reference implementation accepts.</summary>
public class SafetensorsSpecTests
{
    static LawcatException Refused(string header, int dataBytes) => Refused(SafetensorsBytes.Build(header, SafetensorsBytes.Counting(dataBytes)));

    static LawcatException Refused(byte[] bytes)
    {
        var path = SafetensorsBytes.WriteTemp(bytes);
        var e = Assert.Throws<LawcatException>(() => SafetensorsFile.Open(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void AValidFileLoadsTheBytesItDescribes()
    {
        var header = """{"__metadata__":{"format":"pt"},"b":{"dtype":"I16","shape":[3],"data_offsets":[8,14]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0,5],"data_offsets":[14,14]}}""";
        var data = SafetensorsBytes.Counting(14);
        var path = SafetensorsBytes.WriteTemp(SafetensorsBytes.Build(header, data));
        var f = SafetensorsFile.Open(path);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(data[..8], f.Read("a").bytes.ToArray());
        Assert.Equal(data[8..14], f.Read("b").bytes.ToArray());
        Assert.Equal(new long[] { 0, 5 }, f.Read("e").shape);
    }

    [Fact]
    public void OverlappingOffsetsAreRefused()
    {
        var e = Refused("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8);
        Assert.Contains("tensor 'b': data_offsets [4, 8] overlap tensor 'a', which ends at 8", e.Message);
    }

    [Fact]
    public void HolesAreRefused()
    {
        var e = Refused("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12);
        Assert.Contains("tensor 'b': data_offsets [8, 12] leave a hole of 4 bytes after tensor 'a'", e.Message);
        e = Refused("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8);
        Assert.Contains("tensor 'a': data_offsets [4, 8] leave a hole of 4 bytes after the start of the data", e.Message);
    }

    [Fact]
    public void TrailingBytesAreRefused()
    {
        var e = Refused("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 7);
        Assert.Contains("3 bytes after the last tensor ('a') belong to no tensor", e.Message);
    }

    [Fact]
    public void NegativeDimsAreRefused()
    {
        var e = Refused("""{"a":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}}""", 16);
        Assert.Contains("tensor 'a': shape [-2,-2] is not a list of non-negative integers", e.Message);
    }

    [Fact]
    public void OverflowingShapesAreRefused()
    {
        // 2^62 * 4 elements * 4 bytes wraps to 0 in unchecked 64-bit arithmetic.
        var e = Refused("""{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}""", 0);
        Assert.Contains("tensor 'a': shape [4611686018427387904, 4] of F32 has more bytes than a 64-bit size holds", e.Message);
    }

    [Fact]
    public void SizesMustMatchDtypeAndShape()
    {
        var e = Refused("""{"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}""", 4);
        Assert.Contains("tensor 'a': data_offsets [0, 4] span 4 bytes but dtype BF16 and shape [3] need 6", e.Message);
        e = Refused("""{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}""", 2);
        Assert.Contains("tensor 'a': shape [3] of F4 is not a whole number of bytes", e.Message);
    }

    [Fact]
    public void DuplicateNamesAreRefused()
    {
        var e = Refused("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8);
        Assert.Contains("the name 'a' appears twice", e.Message);
        e = Refused("""{"a":{"dtype":"F32","shape":[1],"shape":[2],"data_offsets":[0,4]}}""", 4);
        Assert.Contains("tensor 'a': header entry has the key 'shape' twice", e.Message);
        e = Refused("""{"__metadata__":{"k":"1","k":"2"}}""", 0);
        Assert.Contains("__metadata__ has the key 'k' twice", e.Message);
    }

    [Fact]
    public void InvalidUtf8IsRefused()
    {
        var header = System.Text.Encoding.UTF8.GetBytes("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""");
        header[3] = 0xFF;
        var e = Refused(SafetensorsBytes.Build(header, new byte[4]));
        Assert.Contains("corrupt safetensors header: not valid UTF-8 (at byte 3)", e.Message);
    }

    [Fact]
    public void HeaderBoundsAreChecked()
    {
        var bytes = SafetensorsBytes.Build("{}", Array.Empty<byte>());
        BitConverter.GetBytes(100_000_001L).CopyTo(bytes, 0);
        Assert.Contains("header length 100000001 exceeds the format's limit of 100,000,000 bytes", Refused(bytes).Message);
        BitConverter.GetBytes(-1L).CopyTo(bytes, 0);
        Assert.Contains("header length 18446744073709551615 exceeds", Refused(bytes).Message);
        BitConverter.GetBytes(3L).CopyTo(bytes, 0);
        Assert.Contains("header length 3 does not fit a file of 10 bytes", Refused(bytes).Message);
        Assert.Contains("expected a JSON object starting with '{'", Refused(SafetensorsBytes.Build(" {}", Array.Empty<byte>())).Message);
        Assert.Contains("shorter than the 8-byte header length", Refused(new byte[5]).Message);
    }

    [Fact]
    public void UnknownDtypesAndMalformedEntriesAreRefused()
    {
        Assert.Contains("tensor 'a': dtype \"F31\" is not one the format defines", Refused("""{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}""", 4).Message);
        Assert.Contains("tensor 'a': data_offsets [0] is not a pair", Refused("""{"a":{"dtype":"F32","shape":[],"data_offsets":[0]}}""", 4).Message);
        Assert.Contains("tensor 'a': data_offsets [0,4.0] is not a pair", Refused("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}""", 4).Message);
        Assert.Contains("tensor 'a': header entry has no 'shape'", Refused("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4).Message);
        Assert.Contains("tensor 'a': header entry is 7", Refused("""{"a":7}""", 0).Message);
        Assert.Contains("__metadata__ key 'k' is 1; expected a string", Refused("""{"__metadata__":{"k":1}}""", 0).Message);
    }

    [Fact]
    public void ADtypeTheWorkbenchCannotReadIsNamedWhenRead()
    {
        var path = SafetensorsBytes.WriteTemp(SafetensorsBytes.Build("""{"a":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}""", new byte[4]));
        var f = SafetensorsFile.Open(path);
        var e = Assert.Throws<LawcatException>(() => f.Read("a"));
        Assert.StartsWith($"{path}: tensor 'a' has dtype U16, which this workbench does not read", e.Message);
    }

    [Fact]
    public void WrittenFilesPassTheChecks()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "w.safetensors");
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["x"] = arange(6, ScalarType.Float32).reshape(2, 3), ["y"] = zeros(0, ScalarType.BFloat16), ["z"] = ones(5, ScalarType.Int64) });
        var f = SafetensorsFile.Open(path);
        Assert.Equal(new long[] { 2, 3 }, f.Entries["x"].Shape);
        Assert.Equal(new[] { 0f, 1, 2, 3, 4, 5 }, f.Read("x").data<float>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1 }, f.Read("z").data<long>().ToArray());
    }
}
