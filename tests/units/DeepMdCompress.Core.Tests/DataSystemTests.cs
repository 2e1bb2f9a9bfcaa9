using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;
using Xunit;
using static DeepMdCompress.Core.Tests.NpyTestFiles;

namespace DeepMdCompress.Core.Tests;

public class DataSystemTests
{
    private readonly string _dir = TestData.TempDir();

    private static double[][] Frames(int frames, int natoms, double scale = 1.0) =>
        Enumerable.Range(0, frames).Select(f => Enumerable.Range(0, natoms * 3).Select(k => scale * (f * 100 + k)).ToArray()).ToArray();

    [Fact]
    public void ReadsSeveralSetsWithTypeMapAndBoxes()
    {
        string sys = NpyTestFiles.System(Path.Combine(_dir, "sys"), new[] { 0, 1, 1 },
            new (double[][], double[][]?)[] { (Frames(2, 3, 0.5), new[] { Cubic(10), Cubic(11) }), (Frames(3, 3), Enumerable.Repeat(Cubic(12), 3).ToArray()) },
            typeMap: new[] { "O", "H" }, float32: true);
        var s = DataSystem.Open(sys);
        Assert.Equal(3, s.NAtoms);
        Assert.Equal(new[] { 0, 1, 1 }, s.AtomTypes);
        Assert.Equal(new[] { "O", "H" }, s.TypeMap);
        Assert.True(s.Pbc);
        Assert.False(s.MixedType);
        Assert.Equal(2, s.Sets.Count);
        Assert.Equal(5, s.FrameCount);
        Assert.EndsWith("set.000", s.Sets[0].Path);
        var frames = s.Sets[0].ReadFrames(s.AtomTypes).ToList();
        Assert.Equal(2, frames.Count);
        Assert.Equal(Frames(2, 3, 0.5)[1].Select(v => (double)(float)v), frames[1].Coord);
        Assert.Equal(Cubic(11), frames[1].Box);
        Assert.Equal(new[] { 0, 1, 1 }, frames[1].Types);
    }

    [Fact]
    public void NopbcSystemNeedsNoBox()
    {
        string sys = NpyTestFiles.System(Path.Combine(_dir, "open"), new[] { 0, 0 }, new (double[][], double[][]?)[] { (Frames(1, 2), null) }, nopbc: true);
        var s = DataSystem.Open(sys);
        Assert.False(s.Pbc);
        Assert.Null(s.Sets[0].ReadFrames(s.AtomTypes).Single().Box);
    }

    [SkippableFact]
    public void ReadsOneDimensionalSingleFrameArrays()
    {
        var s = DataSystem.Open(TestData.Shared("systems", "pt_model_compression", "data"));
        Assert.Equal(6, s.NAtoms);
        Assert.Equal(new[] { 0, 1, 1, 0, 1, 1 }, s.AtomTypes);
        var frame = s.Sets.Single().ReadFrames(s.AtomTypes).Single();
        Assert.Equal(18, frame.Coord.Length);
        Assert.Equal(new[] { 13.0, 0, 0, 0, 13.0, 0, 0, 0, 13.0 }, frame.Box);

        var mc = DataSystem.Open(TestData.Shared("systems", "model_compression", "data"));
        Assert.Equal(192, mc.NAtoms);
        Assert.Equal(80, mc.FrameCount);
        Assert.Equal(new[] { "O", "H" }, mc.TypeMap);
    }

    [Fact]
    public void TypeRawAllowsCommentsAndNumpyStyleNumbers()
    {
        string dir = Path.Combine(_dir, "c");
        NpyTestFiles.System(dir, new[] { 0 }, new (double[][], double[][]?)[] { (Frames(1, 3), new[] { Cubic(9) }) });
        File.WriteAllText(Path.Combine(dir, "type.raw"), "# types\n0 1.0\t2 # trailing\n");
        Assert.Equal(new[] { 0, 1, 2 }, DataSystem.Open(dir).AtomTypes);
    }

    [Fact]
    public void RemapsTypesLikeDeepmd()
    {
        string dir = NpyTestFiles.System(Path.Combine(_dir, "m"), new[] { 0, 1, 1, -1 },
            new (double[][], double[][]?)[] { (Frames(1, 4), new[] { Cubic(9) }) }, typeMap: new[] { "H", "O" });
        var s = DataSystem.Open(dir);
        // numpy indexing: the virtual type -1 picks the last entry of the lookup table (the system's last element, O).
        Assert.Equal(new[] { 1, 0, 0, 0 }, s.MapTypes(new[] { "O", "H" }));
        Assert.Equal(new[] { 0, 2, 2, 2 }, s.MapTypes(new[] { "H", "C", "O" }));
        Assert.Equal(new[] { 0, 1, 1, -1 }, s.MapTypes(null));
        Assert.Equal("TypeMapMismatch", Assert.Throws<DataFileException>(() => s.MapTypes(new[] { "O", "C" })).ErrorId);
        Assert.Equal("TypeOutOfRange", Assert.Throws<DataFileException>(() => s.MapTypes(new[] { 0, -3 }, new[] { "O", "H" })).ErrorId);
    }

    [Fact]
    public void ChecksTypeMapsAcrossSystemsLikeDeepmd()
    {
        DataSystem Make(string name, string[]? map) => DataSystem.Open(NpyTestFiles.System(Path.Combine(_dir, name), new[] { 0 },
            new (double[][], double[][]?)[] { (Frames(1, 1), new[] { Cubic(9) }) }, typeMap: map));
        var oh = Make("oh", new[] { "O", "H" });
        var o = Make("o", new[] { "O" });
        var ho = Make("ho", new[] { "H", "O" });
        var none = Make("none", null);
        DataSystem.CheckCompatible(new[] { o, oh, none }, null);
        Assert.Equal("InconsistentTypeMaps", Assert.Throws<DataFileException>(() => DataSystem.CheckCompatible(new[] { oh, ho }, null)).ErrorId);
        DataSystem.CheckCompatible(new[] { oh, ho }, new[] { "H", "O" });
    }

    public static IEnumerable<object[]> BrokenSystems()
    {
        yield return new object[] { "no type.raw", (Action<string>)(d => File.Delete(Path.Combine(d, "type.raw"))), "MissingTypeRaw" };
        yield return new object[] { "letters in type.raw", (Action<string>)(d => File.WriteAllText(Path.Combine(d, "type.raw"), "0 O 1")), "TypeRawInvalid" };
        yield return new object[] { "fraction in type.raw", (Action<string>)(d => File.WriteAllText(Path.Combine(d, "type.raw"), "0 0.5 1")), "TypeRawInvalid" };
        yield return new object[] { "empty type.raw", (Action<string>)(d => File.WriteAllText(Path.Combine(d, "type.raw"), "# nothing\n")), "TypeRawInvalid" };
        yield return new object[] { "short type_map.raw", (Action<string>)(d => File.WriteAllText(Path.Combine(d, "type_map.raw"), "O")), "TypeMapTooShort" };
        yield return new object[] { "empty type_map.raw", (Action<string>)(d => File.WriteAllText(Path.Combine(d, "type_map.raw"), "  \n")), "TypeMapRawInvalid" };
        yield return new object[] { "no set folders", (Action<string>)(d => { Directory.Delete(Path.Combine(d, "set.000"), true); Directory.Delete(Path.Combine(d, "set.001"), true); }), "NoSetFolders" };
        yield return new object[] { "no coord.npy", (Action<string>)(d => File.Delete(Path.Combine(d, "set.000", "coord.npy"))), "MissingCoordNpy" };
        yield return new object[] { "no box.npy", (Action<string>)(d => File.Delete(Path.Combine(d, "set.000", "box.npy"))), "MissingBoxNpy" };
        yield return new object[] { "coord width", (Action<string>)(d => Write(Path.Combine(d, "set.000"), "coord.npy", Float64(new double[8], new long[] { 2, 4 }))), "CoordShapeMismatch" };
        yield return new object[] { "coord rank 3", (Action<string>)(d => Write(Path.Combine(d, "set.000"), "coord.npy", Float64(new double[18], new long[] { 2, 3, 3 }))), "CoordShapeMismatch" };
        yield return new object[] { "zero frames", (Action<string>)(d => Write(Path.Combine(d, "set.000"), "coord.npy", Float64(Array.Empty<double>(), new long[] { 0, 9 }))), "EmptySet" };
        yield return new object[] { "box frames", (Action<string>)(d => Write(Path.Combine(d, "set.000"), "box.npy", Float64(new double[9], new long[] { 1, 9 }))), "FrameCountMismatch" };
        yield return new object[] { "malformed coord.npy", (Action<string>)(d => File.WriteAllText(Path.Combine(d, "set.000", "coord.npy"), "not numpy")), "NpyBadMagic" };
        yield return new object[] { "big-endian box", (Action<string>)(d => Write(Path.Combine(d, "set.000"), "box.npy", Header(Dict(">f8", new long[] { 2, 9 })).Concat(new byte[144]).ToArray())), "NpyBigEndian" };
        yield return new object[] { "mixed sets", (Action<string>)(d => Write(Path.Combine(d, "set.001"), "real_atom_types.npy", Int32(new int[3], new long[] { 1, 3 }))), "MixedTypeInconsistent" };
    }

    [Theory]
    [MemberData(nameof(BrokenSystems))]
    public void BrokenSystemsGiveSpecificErrors(string what, Action<string> breakIt, string expectedId)
    {
        string dir = NpyTestFiles.System(Path.Combine(_dir, "b"), new[] { 0, 1, 1 },
            new (double[][], double[][]?)[] { (Frames(2, 3), new[] { Cubic(9), Cubic(9) }), (Frames(1, 3), new[] { Cubic(9) }) }, typeMap: new[] { "O", "H" });
        breakIt(dir);
        var ex = Assert.Throws<DataFileException>(() => DataSystem.Open(dir));
        Assert.True(expectedId == ex.ErrorId, $"{what}: expected {expectedId}, got {ex.ErrorId}: {ex.Message}");
        Assert.NotNull(ex.Target);
    }

    [Fact]
    public void NonFiniteCoordinatesAndMissingFoldersAreRefused()
    {
        var coords = Frames(1, 2);
        coords[0][4] = double.NaN;
        string dir = NpyTestFiles.System(Path.Combine(_dir, "nan"), new[] { 0, 0 }, new (double[][], double[][]?)[] { (coords, new[] { Cubic(9) }) });
        var s = DataSystem.Open(dir);
        Assert.Equal("NonFiniteCoordinate", Assert.Throws<DataFileException>(() => s.Sets[0].ReadFrames(s.AtomTypes).ToList()).ErrorId);
        Assert.Equal("SystemNotFound", Assert.Throws<DataFileException>(() => DataSystem.Open(Path.Combine(_dir, "nowhere"))).ErrorId);
    }

    [Fact]
    public void MixedTypeSetsCarryPerFrameTypes()
    {
        string dir = NpyTestFiles.System(Path.Combine(_dir, "mix"), new[] { 0, 0, 0 },
            new (double[][], double[][]?)[] { (Frames(2, 3), new[] { Cubic(9), Cubic(9) }) }, typeMap: new[] { "O", "H" });
        Write(Path.Combine(dir, "set.000"), "real_atom_types.npy", Int32(new[] { 0, 1, -1, 1, 1, 0 }, new long[] { 2, 3 }));
        var s = DataSystem.Open(dir);
        Assert.True(s.MixedType);
        var frames = s.Sets[0].ReadFrames(s.AtomTypes).ToList();
        Assert.Equal(new[] { 0, 1, -1 }, frames[0].Types);
        Assert.Equal(new[] { 1, 1, 0 }, frames[1].Types);
        // Mixed-type lookup tables end with -1: virtual atoms stay virtual.
        Assert.Equal(new[] { 1, 0, -1 }, s.MapTypes(frames[0].Types, new[] { "H", "O" }));
        var plain = NpyTestFiles.System(Path.Combine(_dir, "plain"), new[] { 0, 0, 0 }, new (double[][], double[][]?)[] { (Frames(1, 3), new[] { Cubic(9) }) }, typeMap: new[] { "O", "H" });
        Assert.Equal("MixedTypeInconsistent", Assert.Throws<DataFileException>(() => DataSystem.CheckCompatible(new[] { s, DataSystem.Open(plain) }, null)).ErrorId);
        File.Delete(Path.Combine(dir, "type_map.raw"));
        Assert.Equal("MissingTypeMapRaw", Assert.Throws<DataFileException>(() => DataSystem.Open(dir)).ErrorId);
    }
}

public class TrainingScriptTests
{
    private readonly string _dir = TestData.TempDir();

    private string MakeSystem(params string[] parts)
    {
        string dir = Path.Combine(new[] { _dir }.Concat(parts).ToArray());
        return NpyTestFiles.System(dir, new[] { 0 }, new (double[][], double[][]?)[] { (new[] { new[] { 0.0, 0, 0 } }, new[] { Cubic(5) }) });
    }

    private string Script(string json, string name = "input.json")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ReadsListsRelativeToTheScriptFolder()
    {
        string a = MakeSystem("data", "a");
        string b = MakeSystem("data", "b");
        var s = TrainingScript.Load(Script("""{"model": {"type_map": ["O", "H"], "descriptor": {"type": "se_e2_a", "rcut": 6.0, "rcut_smth": 0.5}}, "training": {"training_data": {"systems": ["data/a", "data/b"]}}}"""));
        Assert.Equal(new[] { "data/a", "data/b" }, s.Systems);
        Assert.False(s.SystemsIsString);
        Assert.Equal(new[] { "O", "H" }, s.TypeMap);
        Assert.Equal(6.0, s.Rcut);
        Assert.Equal(0.5, s.RcutSmth);
        Assert.Equal("se_e2_a", s.DescriptorType);
        Assert.Equal(new[] { a, b }, s.ResolveSystems(null));
    }

    [Fact]
    public void ExpandsAStringRecursivelyAndReadsTheOldLayout()
    {
        string a = MakeSystem("root", "x", "a");
        string b = MakeSystem("root", "y");
        MakeSystem("elsewhere");
        var s = TrainingScript.Load(Script("""{"training": {"systems": "root", "set_prefix": "set"}}"""));
        Assert.True(s.SystemsIsString);
        Assert.Equal("set", s.SetPrefix);
        Assert.Equal(new[] { a, b }, s.ResolveSystems(null));
    }

    [Fact]
    public void FallsBackToTheWorkingDirectoryThenToParentFolders()
    {
        string sys = MakeSystem("tests", "model_compression", "data");
        Directory.CreateDirectory(Path.Combine(_dir, "tests", "model_compression"));
        string script = Path.Combine(_dir, "tests", "model_compression", "input.json");
        File.WriteAllText(script, """{"training": {"training_data": {"systems": ["model_compression/data"]}}}""");
        // Not below the script's folder; deepmd-kit's tests run one level up.
        Assert.Equal(new[] { sys }, TrainingScript.Load(script).ResolveSystems(null));
        Assert.Equal(new[] { sys }, TrainingScript.Load(script).ResolveSystems(Path.Combine(_dir, "tests")));
    }

    [SkippableFact]
    public void ResolvesTheSharedCompressionScript()
    {
        var s = TrainingScript.Load(TestData.Shared("systems", "model_compression", "input.json"));
        Assert.Equal(new[] { TestData.Shared("systems", "model_compression", "data") }, s.ResolveSystems(Environment.CurrentDirectory));
    }

    [Theory]
    [InlineData("{not json", "TrainingScriptInvalid")]
    [InlineData("""{"training": {}}""", "TrainingScriptNoSystems")]
    [InlineData("""{"training": {"training_data": {"systems": []}}}""", "TrainingScriptNoSystems")]
    [InlineData("""{"training": {"training_data": {"systems": [1, 2]}}}""", "TrainingScriptInvalid")]
    [InlineData("""{"training": {"training_data": {"systems": ["missing/system"]}}}""", "SystemNotFound")]
    [InlineData("""{"training": {"training_data": {"systems": "."}}}""", "NoSystemFound")]
    public void BadScriptsGiveSpecificErrors(string json, string expectedId)
    {
        string path = Script(json);
        var ex = Assert.Throws<DataFileException>(() => TrainingScript.Load(path).ResolveSystems(null));
        Assert.Equal(expectedId, ex.ErrorId);
    }

    [Fact]
    public void NoSystemFoundNamesTheFolderAsItsTarget()
    {
        string path = Script("""{"training": {"training_data": {"systems": "."}}}""");
        var ex = Assert.Throws<DataFileException>(() => TrainingScript.Load(path).ResolveSystems(null));
        Assert.Equal(Path.GetDirectoryName(path), ex.Target?.ToString()?.TrimEnd(Path.DirectorySeparatorChar, '.').TrimEnd(Path.DirectorySeparatorChar));
        Assert.Contains(Path.GetFileName(path), ex.Message);
    }

    [Fact]
    public void RefusesYamlAndMissingScripts()
    {
        Assert.Equal("TrainingScriptUnsupportedFormat", Assert.Throws<DataFileException>(() => TrainingScript.Load(Script("training: {}", "input.yaml"))).ErrorId);
        Assert.Equal("TrainingScriptNotFound", Assert.Throws<DataFileException>(() => TrainingScript.Load(Path.Combine(_dir, "no.json"))).ErrorId);
    }
}

public class SystemLocatorTests
{
    [Fact]
    public void AFolderWithSetsButNoTypeRawIsMissingTypeRaw()
    {
        string dir = TestData.TempDir();
        NpyTestFiles.System(dir, new[] { 0 }, new (double[][], double[][]?)[] { (new[] { new[] { 0.0, 0, 0 } }, new[] { NpyTestFiles.Cubic(5) }) });
        Assert.Equal(new[] { dir }, SystemLocator.Expand(dir));
        File.Delete(Path.Combine(dir, "type.raw"));
        Assert.Equal("MissingTypeRaw", Assert.Throws<DataFileException>(() => SystemLocator.Expand(dir)).ErrorId);
    }
}

public class DataSetArrayTests
{
    [SkippableFact]
    public void ReadsLabelArraysOfASet()
    {
        var s = DataSystem.Open(TestData.Shared("systems", "model_compression", "data"));
        var energy = s.Sets[0].ReadArray("energy", out var h);
        Assert.Equal(new long[] { 80 }, h!.Shape);
        Assert.Equal(80, energy!.Length);
        Assert.Null(s.Sets[0].ReadArray("virial", out var none));
        Assert.Null(none);
        using var ms = new MemoryStream(File.ReadAllBytes(Path.Combine(s.Sets[0].Path, "box.npy")));
        Assert.Equal(80 * 9, NpyReader.ReadDoubles(ms, "box", out _).Length);
    }
}
