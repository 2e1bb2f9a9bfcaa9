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
