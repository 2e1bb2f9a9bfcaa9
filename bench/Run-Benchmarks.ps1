<#
.SYNOPSIS
Runs the BenchmarkDotNet suite; with -Baseline, side by side with the build of an earlier commit.

.DESCRIPTION
Without -Baseline every benchmark runs against this checkout. With -Baseline the commit (6816ae0 unless
-BaselineCommit says otherwise) is checked out as a git worktree in the temp folder, and the water suite
(EvaluatorBenchmarks, CompressionBenchmarks, ComparisonBenchmarks) is measured against it and against this
checkout in one BenchmarkDotNet run: the Ratio column is this checkout's time over the baseline's. Results are in
BenchmarkDotNet.Artifacts/results. Needs ../shared/testdata (water_std and its training system).

.EXAMPLE
./bench/Run-Benchmarks.ps1 -Baseline

.EXAMPLE
./bench/Run-Benchmarks.ps1 -Baseline -Filter '*EvaluatorBenchmarks*'
#>
[CmdletBinding()]
param(
    [switch] $Baseline,
    [string] $BaselineCommit = '6816ae0',
    [string] $Filter = '*'
)

$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
$project = Join-Path $PSScriptRoot 'DeepMdCompress.Benchmarks'
# Against the baseline, '*' means the water suite: the other benchmarks use API the baseline did not have.
$filters = if ($Baseline -and $Filter -eq '*') { '*EvaluatorBenchmarks*', '*CompressionBenchmarks*', '*ComparisonBenchmarks*' } else { $Filter }
$arguments = @('--filter') + $filters
if ($Baseline) {
    $worktree = Join-Path ([IO.Path]::GetTempPath()) "deepmdcompress-$BaselineCommit"
    git -C $root worktree prune
    if (-not (Test-Path (Join-Path $worktree 'DeepMdCompress.psd1'))) {
        git -C $root worktree add --detach $worktree $BaselineCommit
        if ($LASTEXITCODE) { throw "git worktree add $BaselineCommit failed" }
    }
    $head = git -C $worktree rev-parse HEAD
    if (-not $head.StartsWith($BaselineCommit)) { throw "$worktree holds $head, not $BaselineCommit" }
    $arguments += @('--baseline', $worktree)
}

Push-Location $root
try {
    dotnet run -c Release --project $project -- @arguments
    if ($LASTEXITCODE) { throw "the benchmarks failed (exit code $LASTEXITCODE)" }
}
finally {
    Pop-Location
}
