<#
.SYNOPSIS
Regenerates the module's op registry (src/DeepMdCompress.Core/Validation/ops.pb.gz) from a dump of TensorFlow's and
deepmd-kit's registered OpDefs in protobuf text format (an OpList, optionally gzip'd).

.DESCRIPTION
The validator checks every graph the module writes against TensorFlow's own op registry. The registry is embedded in
compact form: the OpList as binary protobuf with ops sorted by name and without documentation fields
(TensorFlowOps.Compact), gzip'd. This script builds the core, runs that compaction and writes the resource; rebuild the
module afterwards. The test TensorFlowOpsTests checks that the committed resource equals what this script makes from
../shared/testdata/real/ops/tf-2.21-deepmd-3.2.0.ops.pbtxt.gz.

.EXAMPLE
dotnet pwsh -NoProfile -File tools/Update-OpRegistry.ps1
#>
[CmdletBinding()]
param(
    [string] $Source = [IO.Path]::Combine($PSScriptRoot, '..', '..', 'shared', 'testdata', 'real', 'ops', 'tf-2.21-deepmd-3.2.0.ops.pbtxt.gz')
)

$ErrorActionPreference = 'Stop'
$root = (Resolve-Path ([IO.Path]::Combine($PSScriptRoot, '..'))).Path
$project = [IO.Path]::Combine($root, 'src', 'DeepMdCompress.Core', 'DeepMdCompress.Core.csproj')
$target = [IO.Path]::Combine($root, 'src', 'DeepMdCompress.Core', 'Validation', 'ops.pb.gz')
$bin = [IO.Path]::Combine($root, 'out', 'op-registry-tool')

# The core reads the text format; a missing resource is created empty first so that the core builds at all.
if (-not (Test-Path -LiteralPath $target)) { [IO.File]::WriteAllBytes($target, [byte[]]@()) }
dotnet publish $project -c Release -o $bin --nologo -v quiet | Out-Host
if ($LASTEXITCODE -ne 0) { throw "building the core failed ($LASTEXITCODE)" }

$load = [Reflection.Assembly]::LoadFrom
$null = $load.Invoke([IO.Path]::Combine($bin, 'Google.Protobuf.dll'))
$null = $load.Invoke([IO.Path]::Combine($bin, 'DeepMdCompress.Core.dll'))

$bytes = [IO.File]::ReadAllBytes((Resolve-Path -LiteralPath $Source).Path)
if ($bytes.Length -ge 2 -and $bytes[0] -eq 0x1f -and $bytes[1] -eq 0x8b) {
    $in = [IO.Compression.GZipStream]::new([IO.MemoryStream]::new($bytes), [IO.Compression.CompressionMode]::Decompress)
    $text = [IO.StreamReader]::new($in, [Text.Encoding]::UTF8).ReadToEnd()
} else {
    $text = [Text.Encoding]::UTF8.GetString($bytes)
}

$compact = [DeepMdCompress.Core.Validation.TensorFlowOps]::Compact($text)
[IO.File]::WriteAllBytes($target, [DeepMdCompress.Core.Validation.TensorFlowOps]::Gzip($compact))
$count = ([regex]::Matches($text, '(?m)^op \{')).Count
Write-Host "Wrote $target ($count ops, $($compact.Length) bytes compact)."
