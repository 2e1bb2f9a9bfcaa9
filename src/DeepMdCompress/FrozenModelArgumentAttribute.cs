using System;
using System.IO;
using System.Management.Automation;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress;

/// <summary>
/// Lets a FrozenModel parameter take a path (a string or a FileInfo) as well as a model: the file is read, relative to
/// the current location, as Import-FrozenModel would read it. A file that cannot be read stops binding with a message
/// naming it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class FrozenModelArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        string? path = value switch
        {
            string s => s,
            FileInfo f => f.FullName,
            _ => null,
        };
        if (path is null)
        {
            return inputData;
        }

        string resolved = engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        try
        {
            return FrozenModelReader.Load(resolved);
        }
        catch (Exception ex) when (ex is DeepMdException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentTransformationMetadataException(ex.Message.Contains(resolved) ? ex.Message : $"{resolved}: {ex.Message}", ex);
        }
    }
}
