using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace DeepMdCompress;

/// <summary>
/// Windows PowerShell 5.1 binds assembly versions strictly; this resolves our dependencies
/// (DeepMdCompress.Core, Google.Protobuf, System.Memory, …) from the module folder whatever version is asked for.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string ModuleDir = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;

    public void OnImport() => AppDomain.CurrentDomain.AssemblyResolve += Resolve;

    public void OnRemove(PSModuleInfo psModuleInfo) => AppDomain.CurrentDomain.AssemblyResolve -= Resolve;

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        string name = new AssemblyName(args.Name).Name ?? string.Empty;
        string candidate = Path.Combine(ModuleDir, name + ".dll");
        return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
    }
}
