using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Versioning;

/// <summary>
/// A version question about a model that cannot be answered or a conversion that cannot be done as asked.
/// Ids: <c>UnknownModelVersion</c> (no detection rule matches), <c>VersionMismatch</c> (-From disagrees with the
/// graph), <c>InvalidSourceVersion</c> (-From is not a version deepmd-kit converts from),
/// <c>ConversionConflict</c> (a rename or an added constant would duplicate a node name).
/// </summary>
public sealed class ModelVersionException : DeepMdException
{
    public ModelVersionException(string errorId, DeepMdErrorKind kind, string message)
        : base(errorId, kind, message) { }

    internal static ModelVersionException Unknown(string message) => new(ErrorIds.UnknownModelVersion, DeepMdErrorKind.InvalidData, message);

    internal static ModelVersionException Mismatch(string message) => new(ErrorIds.VersionMismatch, DeepMdErrorKind.InvalidArgument, message);

    internal static ModelVersionException InvalidSource(string message) => new(ErrorIds.InvalidSourceVersion, DeepMdErrorKind.InvalidArgument, message);

    internal static ModelVersionException Conflict(string message) => new(ErrorIds.ConversionConflict, DeepMdErrorKind.InvalidData, message);
}
