BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $a = New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9
    $b = New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 4 -MinNborDist 0.9
    $coord = 0.0, 0.0, 0.0, 0.95, 0.1, 0.0, -0.2, 0.92, 0.1, 3.1, 0.2, 0.3, 3.9, 0.5, 0.1, 2.8, 1.1, 0.6
    $types = 0, 1, 1, 0, 1, 1
    $box = 8.0, 0, 0, 0, 8.0, 0, 0, 0, 8.0

    # A tiny data system made here: two frames of the configuration above, float64 .npy.
    $system = Join-Path $TestDrive 'system'
    New-Item -ItemType Directory (Join-Path $system 'set.000') -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $system 'type.raw') -Value ($types -join "`n")
    Set-Content -LiteralPath (Join-Path $system 'type_map.raw') -Value "O`nH"
    $frame2 = $coord | ForEach-Object { $_ + 0.01 }
    Write-Npy (Join-Path $system 'set.000/coord.npy') ($coord + $frame2) @(2, 18)
    Write-Npy (Join-Path $system 'set.000/box.npy') ($box + $box) @(2, 9)
}

Describe 'Compare-FrozenModel' {
    It 'takes the models as paths' {
        $pa = Join-Path $TestDrive 'a.pb'; $pb = Join-Path $TestDrive 'b.pb'
        $a | Export-FrozenModel $pa -Force; $b | Export-FrozenModel $pb -Force
        $r = Compare-FrozenModel $pa $pb -Coordinate $coord -AtomType $types -Box $box
        $r.Reference | Should -Be $pa
        $r.Difference | Should -Be $pb
        $r.MaxForceError | Should -BeGreaterThan 0
        { Compare-FrozenModel $pa (Join-Path $TestDrive 'missing.pb') -Coordinate $coord -AtomType $types } | Should -Throw '*missing.pb*'
    }

    It 'takes a tolerance per quantity and says which failed' {
        $r = Compare-FrozenModel $a $b -Coordinate $coord -AtomType $types -Box $box -Tolerance @{ Energy = 1e3; Force = 1e3; Virial = 0 }
        $r.Tolerance.Energy | Should -Be 1e3
        $r.Tolerance.Virial | Should -Be 0
        $r.Passed | Should -BeFalse
        $r.Failed | Should -Be @('Virial')
        ($r | Out-String) | Should -Match 'False: Virial beyond tolerance'
        $all = Compare-FrozenModel $a $b -Coordinate $coord -AtomType $types -Box $box -Tolerance 1e3
        $all.Passed | Should -BeTrue
        $all.Failed | Should -BeNullOrEmpty
    }

    It 'prints its numbers in a string, so a failed Pester assertion carries them' {
        $r = Compare-FrozenModel $a $b -Coordinate $coord -AtomType $types -Box $box -Tolerance 0
        "$r" | Should -Match '^Failed \(Energy, Force, Virial\): max \|Δ\| energy \d\.\d\dE[-+]\d\d > 0\.00E\+00, force '
        "$r" | Should -Match 'over 1 frame\(s\) of 6 atoms$'
    }

    It 'finds a model identical to itself' {
        $r = Compare-FrozenModel -ReferenceModel $a -DifferenceModel $a -Coordinate $coord -AtomType $types -Box $box -Tolerance 0
        $r | Should -BeOfType ([DeepMdCompress.ModelComparison])
        $r.Frames | Should -Be 1
        $r.MaxEnergyError | Should -Be 0
        $r.MaxForceError | Should -Be 0
        $r.Passed | Should -BeTrue
    }

    It 'reports the difference of two different models and fails the tolerance' {
        $r = Compare-FrozenModel $a $b -Coordinate $coord -AtomType $types -Box $box
        $ea = ($a | Invoke-FrozenModel -Coordinate $coord -AtomType $types -Box $box).Energy
        $eb = ($b | Invoke-FrozenModel -Coordinate $coord -AtomType $types -Box $box).Energy
        $r.MaxEnergyError | Should -Be ([Math]::Abs($ea - $eb))
        $r.MaxEnergyErrorPerAtom | Should -Be ($r.MaxEnergyError / 6)
        $r.MaxForceError | Should -BeGreaterThan 0
        $r.Passed | Should -BeFalse
    }

    It 'takes the difference model from the pipeline and frames from a data system' {
        $r = $a | Compare-FrozenModel -ReferenceModel $a -SystemPath $system -MaxFrames 2
        $r.Frames | Should -Be 2
        $r.Atoms | Should -Be 6
        $r.Passed | Should -BeTrue
        ($b | Compare-FrozenModel -ReferenceModel $a -SystemPath $system -MaxFrames 1).Frames | Should -Be 1
    }

    It 'is a one-line regression check for a compressed model' {
        $orig = Join-Path $TestDrive 'orig.pb'
        $a | Export-FrozenModel -Path $orig -Force
        $comp = Join-Path $TestDrive 'comp.pb'
        $null = Compress-FrozenModel $orig $comp -Force
        (Compare-FrozenModel (Import-FrozenModel $orig) (Import-FrozenModel $comp) -SystemPath $system -Tolerance 1e-8).Passed | Should -BeTrue
    }

    It 'gives <Id> for <Case>' -TestCases @(
        @{ Case = 'wrong coordinate count'; Coordinate = @(0.0, 1.0); Id = 'CoordinateCountMismatch' }
        @{ Case = 'negative tolerance'; Tolerance = -1; Id = 'InvalidTolerance' }
    ) {
        param($Case, $Coordinate, $Tolerance, $Id)
        $p = @{ ReferenceModel = $a; DifferenceModel = $b; Coordinate = $(if ($Coordinate) { $Coordinate } else { $coord }); AtomType = $types; Box = $box }
        if ($null -ne $Tolerance) { $p.Tolerance = $Tolerance }
        Compare-FrozenModel @p -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
    }

    It 'reports a missing data system' {
        Compare-FrozenModel $a $b -SystemPath (Join-Path $TestDrive 'nope') -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SystemNotFound,*'
    }

    It 'shows synopsis, every parameter and an example in Get-Help' {
        $help = Get-Help Compare-FrozenModel -Full
        $help.Synopsis | Should -Match 'two models'
        foreach ($p in 'ReferenceModel', 'DifferenceModel', 'Coordinate', 'AtomType', 'Box', 'SystemPath', 'MaxFrames', 'Tolerance') {
            $help.parameters.parameter.name | Should -Contain $p
        }
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }
}
