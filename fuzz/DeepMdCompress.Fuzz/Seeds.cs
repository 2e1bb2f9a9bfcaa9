using System.Text;
using DeepMdCompress.Core.Graph;
using Google.Protobuf;

namespace DeepMdCompress.Fuzz;

/// <summary>Starting inputs for the campaign, made from the project's own test data (never from ../shared).</summary>
public static class Seeds
{
    public static void Write(string target, string dir)
    {
        string data = Path.Combine(FindRoot(), "tests", "data");
        byte[] tinyText = File.ReadAllBytes(Path.Combine(data, "tiny_se_a.pbtxt"));
        var files = new Dictionary<string, byte[]>();
        switch (target)
        {
            case "pb":
                files["tiny.pb"] = GraphFile.ParseText(tinyText).ToByteArray();
                break;
            case "pbtxt":
            case "import":
                files["tiny.pbtxt"] = tinyText;
                foreach (var f in Directory.GetFiles(Path.Combine(data, "malformed"), "*.pbtxt").Take(6))
                {
                    files[Path.GetFileName(f)] = File.ReadAllBytes(f);
                }

                if (target == "import")
                {
                    files["tiny.pb"] = GraphFile.ParseText(tinyText).ToByteArray();
                }

                break;
            case "npy":
                files["f8_2d.npy"] = Npy(new[] { 1.0, 2.5, -3.0, 0.0, 1e-300, 6.0 }, 2, 3);
                files["f4_1d.npy"] = Npy(new[] { 1f, 2f, 3f });
                files["f8_v2.npy"] = Npy(new[] { 0.5, 0.25 }, 2, version: 2);
                break;
            case "typeraw":
                files["type.raw"] = Encoding.ASCII.GetBytes("0\n1\n1\n");
                files["type_inline.raw"] = Encoding.ASCII.GetBytes("0 1 1 # water\n");
                break;
            case "json":
                files["input.json"] = Encoding.UTF8.GetBytes(
                    "{\"model\": {\"type_map\": [\"O\", \"H\"], \"descriptor\": {\"type\": \"se_e2_a\", \"sel\": [46, 92], \"rcut\": 6.0, " +
                    "\"rcut_smth\": 0.5, \"neuron\": [25, 50, 100]}, \"fitting_net\": {\"neuron\": [240, 240, 240]}}, " +
                    "\"training\": {\"training_data\": {\"systems\": [\"data/sys1\", \"data/sys2\"], \"set_prefix\": \"set\"}, \"numb_steps\": 1}}");
                files["old.json"] = Encoding.UTF8.GetBytes("{\"training\": {\"systems\": \"data\", \"set_prefix\": \"set\"}}");
                break;
            default:
                throw new ArgumentException($"no seeds for target '{target}'");
        }

        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
    }

    /// <summary>A minimal .npy (format 1.0 or 2.0, little-endian, C order) of doubles or floats.</summary>
    public static byte[] Npy(double[] values, params int[] shape) => Npy(values, shape, version: 1);

    public static byte[] Npy(double[] values, int shape0, int version) => Npy(values, new[] { shape0 }, version);

    public static byte[] Npy(float[] values) => Build("<f4", new[] { values.Length }, 1, values.SelectMany(BitConverter.GetBytes).ToArray());

    private static byte[] Npy(double[] values, int[] shape, int version) =>
        Build("<f8", shape.Length == 0 ? new[] { values.Length } : shape, version, values.SelectMany(BitConverter.GetBytes).ToArray());

    private static byte[] Build(string descr, int[] shape, int version, byte[] payload)
    {
        string dims = shape.Length == 1 ? shape[0] + "," : string.Join(", ", shape);
        string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        int prefix = version == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";
        using var ms = new MemoryStream();
        ms.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 });
        if (version == 1)
        {
            ms.Write(BitConverter.GetBytes((ushort)header.Length));
        }
        else
        {
            ms.Write(BitConverter.GetBytes((uint)header.Length));
        }

        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(payload);
        return ms.ToArray();
    }

    internal static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepMdCompress.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
