<#
.SYNOPSIS
Times Compress-FrozenModel on water_std as a user runs it: warm in this session and as a fresh pwsh process.

.DESCRIPTION
Issue 16's figures for the cmdlet, which BenchmarkDotNet cannot take (it measures the core without PowerShell):

- warm: the median of -Runs runs in this session after two warm-up runs, once into a new file each time and once
  overwriting the same file with -Force (replacing a file of 33 MB costs the file system more than creating one);
- fresh: the median of -FreshRuns `pwsh -c` processes that import the module and compress, minus the median of as
  many that import the module and exit (pwsh's own start-up and the module's loading);
- peak memory: the fresh process's peak working set above the import-only process's, against the output's size.

Builds the module first (build.ps1 -Task Build). Needs ../shared/testdata (water_std and its training system).

.EXAMPLE
./bench/Measure-Compression.ps1
#>
[CmdletBinding()]
param(
    [int] $Runs = 10,
    [int] $FreshRuns = 5
)

$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
$shared = Join-Path (Split-Path $root -Parent) 'shared/testdata'
$model = Join-Path $shared 'real/water_std/original.pb'
$system = Join-Path $shared 'systems/model_compression/data'
if (-not (Test-Path $model) -or -not (Test-Path $system)) { throw "water_std or its training system is missing under $shared" }

& (Join-Path $root 'build.ps1') -Task Build | Out-Null
$manifest = Join-Path $root 'out/DeepMdCompress/DeepMdCompress.psd1'
$work = Join-Path ([IO.Path]::GetTempPath()) "deepmdcompress-measure-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null

function Get-Median([double[]] $values) {
    $sorted = $values | Sort-Object
    $sorted[[int][math]::Floor($sorted.Count / 2)]
}

try {
    # Warm: a child process, so this session's modules and JIT state do not count.
    $warm = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$manifest'
`$out = '$work/warm.pb'
1..2 | ForEach-Object { Compress-FrozenModel -InputPath '$model' -OutputPath `$out -TrainingData '$system' -Force }
`$new = foreach (`$i in 1..$Runs) {
    Remove-Item `$out
    (Measure-Command { Compress-FrozenModel -InputPath '$model' -OutputPath `$out -TrainingData '$system' }).TotalMilliseconds
}
`$over = foreach (`$i in 1..$Runs) {
    (Measure-Command { Compress-FrozenModel -InputPath '$model' -OutputPath `$out -TrainingData '$system' -Force }).TotalMilliseconds
}
"`$((`$new | Sort-Object)[[int][math]::Floor($Runs / 2)]) `$((`$over | Sort-Object)[[int][math]::Floor($Runs / 2)]) `$((Get-Item `$out).Length)"
"@
    $line = dotnet pwsh -NoProfile -Command $warm
    if ($LASTEXITCODE) { throw "the warm runs failed: $line" }
    $newMs, $overMs, $bytes = ($line | Select-Object -Last 1) -split ' '

    $peak = '[Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64'
    $importOnly = "Import-Module '$manifest'; $peak"
    $compress = "Import-Module '$manifest'; Compress-FrozenModel -InputPath '$model' -OutputPath '$work/fresh.pb' -TrainingData '$system' -Force | Out-Null; $peak"
    $startMs = @(); $freshMs = @(); $startPeak = @(); $freshPeak = @()
    foreach ($i in 1..$FreshRuns) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $startPeak += [double](dotnet pwsh -NoProfile -Command $importOnly | Select-Object -Last 1)
        $startMs += $sw.Elapsed.TotalMilliseconds
        $sw.Restart()
        $freshPeak += [double](dotnet pwsh -NoProfile -Command $compress | Select-Object -Last 1)
        $freshMs += $sw.Elapsed.TotalMilliseconds
        if ($LASTEXITCODE) { throw 'a fresh compression failed' }
    }

    $mb = [double]$bytes / 1MB
    $extra = ((Get-Median $freshPeak) - (Get-Median $startPeak)) / 1MB
    [pscustomobject]@{
        WarmNewFileMs   = [math]::Round([double]$newMs, 1)
        WarmOverwriteMs = [math]::Round([double]$overMs, 1)
        FreshMs         = [math]::Round((Get-Median $freshMs) - (Get-Median $startMs), 1)
        StartUpMs       = [math]::Round((Get-Median $startMs), 1)
        PeakExtraMB     = [math]::Round($extra, 1)
        OutputMB        = [math]::Round($mb, 1)
        PeakOverOutput  = [math]::Round($extra / $mb, 2)
    }
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
