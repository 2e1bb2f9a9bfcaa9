# Shared set-up for every Pester file: import the staged module and locate test data.
$ErrorActionPreference = 'Stop'
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }
$modulePath = if ($env:DEEPMDCOMPRESS_MODULE) { $env:DEEPMDCOMPRESS_MODULE } else { [IO.Path]::Combine($PSScriptRoot, '..', 'out', 'DeepMdCompress', 'DeepMdCompress.psd1') }
$modulePath = (Resolve-Path $modulePath).Path
$env:DEEPMDCOMPRESS_MODULE = $modulePath  # child processes import the same build
Import-Module $modulePath -Force

$script:RepoRoot = (Resolve-Path ([IO.Path]::Combine($PSScriptRoot, '..'))).Path
$script:LocalData = [IO.Path]::Combine($PSScriptRoot, 'data')
$script:SharedData = [IO.Path]::GetFullPath([IO.Path]::Combine($script:RepoRoot, '..', 'shared', 'testdata'))
$script:HasShared = Test-Path -LiteralPath ([IO.Path]::Combine($script:SharedData, 'models'))
$script:NoSharedMessage = 'deepmd-kit reference data not found at ../shared/testdata (a fresh clone has none)'

function Get-SharedModel([string] $name) { [IO.Path]::Combine($script:SharedData, 'models', $name) }

# A float64 .npy file (what deepmd-kit data systems hold), for data systems made by the tests.
function Write-Npy([string] $path, [double[]] $values, [int[]] $shape) {
    $dims = if ($shape.Count -eq 1) { "$($shape[0])," } else { $shape -join ', ' }
    $dict = "{'descr': '<f8', 'fortran_order': False, 'shape': ($dims), }"
    $total = [Math]::Ceiling((10 + $dict.Length + 1) / 64) * 64
    $header = $dict.PadRight($total - 10 - 1) + "`n"
    $ms = [IO.MemoryStream]::new()
    $ms.Write([byte[]](0x93, 78, 85, 77, 80, 89, 1, 0), 0, 8)
    $ms.Write([BitConverter]::GetBytes([uint16]$header.Length), 0, 2)
    $h = [Text.Encoding]::ASCII.GetBytes($header); $ms.Write($h, 0, $h.Length)
    foreach ($v in $values) { $ms.Write([BitConverter]::GetBytes([double]$v), 0, 8) }
    [IO.File]::WriteAllBytes($path, $ms.ToArray())
}
