using DeepMdCompress.Fuzz;
using SharpFuzz;

// Usage (under afl-fuzz, see fuzz/run-campaign.sh): DeepMdCompress.Fuzz <target>
//        DeepMdCompress.Fuzz --write-seeds <target> <dir>
// Targets: pb, pbtxt, import (and the data readers). Without AFL it runs one input from stdin.
if (args.Length == 3 && args[0] == "--write-seeds")
{
    Seeds.Write(args[1], args[2]);
    return 0;
}

if (args.Length < 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine("usage: DeepMdCompress.Fuzz <" + string.Join("|", FuzzTargets.All.Keys) + ">");
    return 2;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var ms = new MemoryStream();
    stream.CopyTo(ms);
    target(ms.ToArray());
});
return 0;
