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
            default:
                throw new ArgumentException($"no seeds for target '{target}'");
        }

        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
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
