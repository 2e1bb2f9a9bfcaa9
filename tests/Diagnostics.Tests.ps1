BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    . ([IO.Path]::Combine($PSScriptRoot, 'LegacyTestModels.ps1'))
    $dir = Join-Path $TestDrive 'models'
    New-Item -ItemType Directory $dir | Out-Null
    $sample = Join-Path $dir 'sample.pb'
    New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9 -Path $sample
    $coord = 0.0, 0.0, 0.0, 0.95, 0.1, 0.0, -0.2, 0.92, 0.1, 3.1, 0.2, 0.3, 3.9, 0.5, 0.1, 2.8, 1.1, 0.6
    $types = 0, 1, 1, 0, 1, 1
    $box = 8.0, 0, 0, 0, 8.0, 0, 0, 0, 8.0

    function Get-Verbose([scriptblock] $block) {
        @(& $block 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) | ForEach-Object Message
    }
}

Describe 'What the cmdlets say about their decisions' {
    It '<Cmdlet> reports with -Verbose' -TestCases @(
        @{ Cmdlet = 'Import-FrozenModel'; Pattern = 'sample\.pb: Binary se_e2_a ener model, \d+ nodes, model_version 1\.1' }
        @{ Cmdlet = 'New-TabulatedModel'; Pattern = 'filter_type_0/matrix_1_0|filter_0_net_0: \[-?\d+, \d+\], \d+ rows of 8 channels, value error' }
        @{ Cmdlet = 'Compare-FrozenModel'; Pattern = 'Passed: max \|Δ\| energy' }
        @{ Cmdlet = 'Invoke-FrozenModel'; Pattern = '1 frame\(s\) of 6 atoms \(periodic, float64\) in \d+ ms' }
        @{ Cmdlet = 'New-SampleModel'; Pattern = 'Generating se_e2_a \(O H; sel 8 16; neuron 4 8; tanh, float64, seed 3\): rcut 4' }
    ) {
        param($Cmdlet, $Pattern)
        $messages = switch ($Cmdlet) {
            'Import-FrozenModel' { Get-Verbose { Import-FrozenModel $sample -Verbose } }
            'New-TabulatedModel' { Get-Verbose { Import-FrozenModel $sample | Measure-EmbeddingRange | New-TabulatedModel -Verbose } }
            'Compare-FrozenModel' { Get-Verbose { Compare-FrozenModel $sample $sample -Coordinate $coord -AtomType $types -Box $box -Verbose } }
            'Invoke-FrozenModel' { Get-Verbose { Import-FrozenModel $sample | Invoke-FrozenModel -Coordinate $coord -AtomType $types -Box $box -Verbose } }
            'New-SampleModel' { Get-Verbose { New-SampleModel -TypeMap O, H -Sel 8, 16 -Rcut 4 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -Verbose } }
        }
        ($messages -join "`n") | Should -Match $Pattern
    }

    It 'warns at every stage a legacy model passes through, not only at the end' {
        $legacy = New-TinyVariant '1.2' $TestDrive
        $m = Import-FrozenModel $legacy -WarningVariable w1 -WarningAction SilentlyContinue
        ($w1 -join "`n") | Should -Match 'made by deepmd-kit 1\.2.*Convert-LegacyModel -From 1\.2'
        $r = $m | Measure-EmbeddingRange -MinNborDist 1 -WarningVariable w2 -WarningAction SilentlyContinue
        ($w2 -join "`n") | Should -Match 'LegacyModel'
        $null = $r | New-TabulatedModel -WarningVariable w3 -WarningAction SilentlyContinue
        ($w3 -join "`n") | Should -Match 'LegacyModel'
        $current = Import-FrozenModel $sample -WarningVariable w4
        $w4 | Should -BeNullOrEmpty
    }
}
