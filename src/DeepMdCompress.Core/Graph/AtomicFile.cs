using System;
using System.IO;
using System.Threading;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Graph;

/// <summary>Write-to-temporary-then-rename, so a reader never sees a half-written output file.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, atomically (an SVG picture).</summary>
    public static void WriteText(string path, bool overwrite, string text, CancellationToken cancellationToken = default) =>
        Write(path, overwrite, stream =>
        {
            byte[] bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
            stream.Write(bytes, 0, bytes.Length);
        }, cancellationToken);

    /// <summary>
    /// Checks an output path before any work is done for it: not a directory, in an existing folder, not the
    /// input file (<paramref name="inputPath"/>), and existing only when it may be overwritten.
    /// </summary>
    public static void CheckTarget(string path, bool overwrite, string? inputPath = null)
    {
        string full = Path.GetFullPath(path);
        if (inputPath is not null && string.Equals(Path.GetFullPath(inputPath), full, StringComparison.OrdinalIgnoreCase))
        {
            throw new OutputWriteException(ErrorIds.OutputIsInput, $"Refusing to overwrite the input file '{full}'; write to another path.") { Target = full };
        }

        if (Directory.Exists(full))
        {
            throw new OutputWriteException(ErrorIds.OutputPathIsDirectory, $"Output path '{full}' is a directory.") { Target = full };
        }

        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new OutputWriteException(ErrorIds.OutputDirectoryNotFound, $"Output folder '{dir}' does not exist.") { Target = full };
        }

        if (!overwrite && File.Exists(full))
        {
            throw new OutputWriteException(ErrorIds.OutputFileExists, $"'{full}' already exists; use -Force to overwrite it.") { Target = full };
        }
    }

    public static void Write(string path, bool overwrite, Action<Stream> write, CancellationToken cancellationToken = default)
    {
        string full = Path.GetFullPath(path);
        CheckTarget(full, overwrite);
        string dir = Path.GetDirectoryName(full) ?? ".";

        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp");
        bool moved = false;
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                cancellationToken.ThrowIfCancellationRequested();
                // Handed to the OS, not fsynced: docs/architecture.md#errors says why.
                fs.Flush();
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (overwrite && File.Exists(full))
            {
                File.Replace(temp, full, null);
            }
            else
            {
                // File.Move refuses an existing target, so two writers racing for a new path cannot both win.
                File.Move(temp, full);
            }

            moved = true;
        }
        catch (IOException ex) when (ex is not FileNotFoundException && !moved)
        {
            if (!overwrite && File.Exists(full))
            {
                throw new OutputWriteException(ErrorIds.OutputFileExists, $"'{full}' was created by someone else while writing; use -Force to overwrite it.", ex) { Target = full };
            }

            throw new OutputWriteException(ErrorIds.OutputWriteFailed, $"Could not write '{full}': {ex.Message}", ex) { Target = full };
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new OutputWriteException(ErrorIds.OutputAccessDenied, $"Could not write '{full}': {ex.Message}", ex) { Target = full };
        }
        finally
        {
            if (!moved)
            {
                TryDelete(temp);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
