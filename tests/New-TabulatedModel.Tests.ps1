BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))

    # deepmd-kit's ranges for deeppot.pbtxt at min_nbor_dist 1.0 (deepmd-kit's range rule, docs/tables.md#ranges): [-1, 7] for centre type O, [-1, 8] for H.
    function New-Range($model, [hashtable] $bounds, [double] $minNborDist = 1.0) {
        $nets = [DeepMdCompress.NetRange[]] @($model.EmbeddingNets | ForEach-Object {
                $b = $bounds[$_.CentreType]
                [DeepMdCompress.NetRange]::new($_.Name, $b[0], $b[1], $_)
            })
        [DeepMdCompress.EmbeddingRange]::new($model, $minNborDist, 'Parameter', $null, $nets)
    }

    function Get-ErrorId([scriptblock] $block) {
        try { & $block; 'no error' } catch { $_.FullyQualifiedErrorId }
    }

    $deepPotBounds = @{ 0 = @(-1, 7); 1 = @(-1, 8) }
    $tiny = Import-FrozenModel -Path ([IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt'))
    $tinyRange = New-Range $tiny @{ 0 = @(-1, 3); 1 = @(-1, 3) }
    # The tiny model with an activation deepmd-kit cannot tabulate (elu).
    $eluPath = [IO.Path]::Combine($TestDrive, 'tiny_elu.pbtxt')
    [IO.File]::WriteAllText($eluPath, (Get-Content -Raw -LiteralPath ([IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt'))).Replace('op: "Tanh"', 'op: "Elu"'))
    $eluRange = New-Range (Import-FrozenModel -Path $eluPath) @{ 0 = @(-1, 3); 1 = @(-1, 3) }
    if ($HasShared) {
        $deeppot = Import-FrozenModel -Path (Get-SharedModel 'deeppot.pbtxt')
        $deeppotRange = New-Range $deeppot $deepPotBounds
    }
}

Describe 'New-TabulatedModel' {
    It 'tabulates deeppot.pbtxt through the pipeline with dp compress defaults' -Skip:(-not $HasShared) {
        $t = $deeppot | ForEach-Object { New-Range $_ $deepPotBounds } | New-TabulatedModel
        $t | Should -BeOfType ([DeepMdCompress.TabulatedModel])
        $t.Step | Should -Be 0.01
        $t.Stride1 | Should -Be 0.1
        $t.Extrapolate | Should -Be 5
        $t.Frequency | Should -Be -1
        $t.Tables.Name | Should -Be @('filter_0_net_0', 'filter_0_net_1', 'filter_1_net_0', 'filter_1_net_1')
        $first = $t.Tables[0]
        $first.Rows | Should -Be 1080
        $first.Columns | Should -Be 48
        $first.Info.ToArray() | Should -Be @(-1, 7, 35, 0.01, 0.1, -1)
        $first.GetCoefficients().Length | Should -Be (1080 * 48)
        $t.TotalBytes | Should -Be (($t.Tables | Measure-Object Bytes -Sum).Sum)
        $t.Tables | ForEach-Object { $_.MaxValueError | Should -BeLessThan 5e-13 }
        $t.Model | Should -Be $deeppot
    }

    It 'shows the settings and a row per net' -Skip:(-not $HasShared) {
        $text = New-TabulatedModel $deeppotRange -Step 0.02 | Out-String
        $text | Should -Match 'Step\s*:\s*0\.02'
        $text | Should -Match 'TotalBytes\s*:'
        $text | Should -Match 'MaxValueError'
        $text | Should -Match 'filter_1_net_1\s+-1\s+8\s+40\s+'
        $text | Should -Not -Match 'GetCoefficients'
    }

    It 'chooses the step from the ladder with -MaxError' -Skip:(-not $HasShared) {
        $t = New-TabulatedModel $deeppotRange -MaxError 1e-10
        $t.MaxErrorTarget | Should -Be 1e-10
        $t.Step | Should -BeIn @(0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
        $t.StepTrials[-1].Step | Should -Be $t.Step
        $t.StepTrials[-1].Accepted | Should -BeTrue
        $t.MaxValueError | Should -BeLessOrEqual 1e-10
        $t.StepTrials | Select-Object -SkipLast 1 | ForEach-Object { $_.MaxValueError | Should -BeGreaterThan 1e-10 }
        ($t | Out-String) | Should -Match 'MaxError\s*:'
    }

    It 'refuses <Name> with <Id>' -TestCases @(
        @{ Name = 'a zero step'; Id = 'InvalidStep'; Parameters = @{ Step = 0 } }
        @{ Name = 'a negative step'; Id = 'InvalidStep'; Parameters = @{ Step = -0.01 } }
        @{ Name = 'a NaN step'; Id = 'InvalidStep'; Parameters = @{ Step = [double]::NaN } }
        @{ Name = 'extrapolate 0'; Id = 'InvalidExtrapolate'; Parameters = @{ Extrapolate = 0 } }
        @{ Name = 'a fractional extrapolate'; Id = 'InvalidExtrapolate'; Parameters = @{ Extrapolate = 2.5 } }
        @{ Name = 'a fractional frequency'; Id = 'InvalidFrequency'; Parameters = @{ Frequency = 1.5 } }
        @{ Name = 'a zero -MaxError'; Id = 'InvalidMaxError'; Parameters = @{ MaxError = 0 } }
    ) {
        param($Id, $Parameters)
        Get-ErrorId { New-TabulatedModel $tinyRange @Parameters } | Should -BeLike "$Id,*"
    }

    It 'does not take -Step and -MaxError together' {
        Get-ErrorId { New-TabulatedModel $tinyRange -Step 0.01 -MaxError 1e-9 } | Should -BeLike 'AmbiguousParameterSet,*'
    }

    It 'accepts any integer frequency as dp compress does' -Skip:(-not $HasShared) {
        (New-TabulatedModel $deeppotRange -Step 0.1 -Frequency 7).Tables[0].Info.Frequency | Should -Be 7
    }

    It 'reports a model it cannot tabulate and goes on with the next one' -Skip:(-not $HasShared) {
        $out = @($eluRange, $deeppotRange | New-TabulatedModel -Step 0.1 -ErrorAction SilentlyContinue -ErrorVariable err)
        $out.Count | Should -Be 1
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UnknownActivation,*'
        $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        $err[0].TargetObject | Should -Be $eluRange
    }

    It 'refuses tables above 2 GB before building them and names a step that fits' -Skip:(-not $HasShared) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        New-TabulatedModel $deeppotRange -Step 1e-6 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GraphTooLarge,*'
        $err[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $err[0].Exception.Message | Should -Match 'that fits is 0\.001'
    }

    It 'refuses a range that names a net the model does not have' -Skip:(-not $HasShared) {
        $bad = [DeepMdCompress.EmbeddingRange]::new($deeppot, 1.0, 'Parameter', $null, [DeepMdCompress.NetRange[]] @([DeepMdCompress.NetRange]::new('filter_7_net_0', -1, 7)))
        New-TabulatedModel $bad -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NetNotFound,*'
    }

    It 'runs help example 4 as written' -Skip:(-not $HasShared) {
        $model = $deeppot
        $nets = [DeepMdCompress.NetRange[]] @($model.EmbeddingNets | ForEach-Object { [DeepMdCompress.NetRange]::new($_.Name, -1, 7, $_) })
        $range = [DeepMdCompress.EmbeddingRange]::new($model, 1.0, 'Parameter', $null, $nets)
        $t = New-TabulatedModel $range -Step 0.005 -Extrapolate 3
        $t.Tables[0].Rows | Should -Be (1600 + 280)
        $t.Tables[0].Max | Should -Be 21
    }

    It 'shows synopsis, every parameter and examples in Get-Help' {
        $help = Get-Help New-TabulatedModel -Full
        $help.Synopsis | Should -Match 'quintic'
        $names = $help.parameters.parameter.name
        foreach ($p in 'InputObject', 'Step', 'Extrapolate', 'Frequency', 'MaxError') { $names | Should -Contain $p }
        @($help.examples.example).Count | Should -BeGreaterOrEqual 3
        $help.examples.example[0].code | Should -Match 'New-TabulatedModel'
    }

    It 'fits se_e3 tables by the interval rule it is given (Legacy by default)' {
        $model = New-SampleModel -Descriptor se_e3 -TypeMap O, H -Sel 4, 8 -Rcut 3 -RcutSmth 0.5 -Neuron 2, 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9
        $range = $model | Measure-EmbeddingRange
        $legacy = $range | New-TabulatedModel
        $current = $range | New-TabulatedModel -SeTIntervalRule Current
        $legacy.SeTIntervalRule | Should -Be 'Legacy'
        $current.SeTIntervalRule | Should -Be 'Current'
        # The Current rule fits the first coarse row above the fine part with the fine length: its error grows.
        $current.Tables[0].MaxValueError | Should -BeGreaterThan (100 * $legacy.Tables[0].MaxValueError)
        { $range | New-TabulatedModel -SeTIntervalRule Newest } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,DeepMdCompress.Commands.NewTabulatedModelCommand'
    }
}
