<#
.SYNOPSIS
    Runs the Pester suite against the staged module (in its own process) and writes the counts as JSON.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $TestPath,
    [Parameter(Mandatory)][string] $ResultPath
)

$ErrorActionPreference = 'Stop'
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }
$pester = Get-ChildItem -Path ([IO.Path]::Combine($PSScriptRoot, 'packages', 'pester', '*', 'tools', 'Pester.psd1')) | Select-Object -First 1
if (-not $pester) { throw "Pester is not restored under tools/packages (run: dotnet restore tools/Pester.Restore.csproj)" }
Import-Module $pester.FullName -Force

$env:DEEPMDCOMPRESS_MODULE = $ModulePath
$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
$result = Invoke-Pester -Configuration $config
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath
