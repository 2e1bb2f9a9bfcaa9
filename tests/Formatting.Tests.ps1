BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $script:aboutTopics = Get-ChildItem ([IO.Path]::Combine($PSScriptRoot, '..', 'en-US')) -Filter 'about_*.md' |
        ForEach-Object { @{ Topic = $_.BaseName } }
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    . ([IO.Path]::Combine($PSScriptRoot, 'LegacyTestModels.ps1'))
    $sample = Join-Path $TestDrive 'a_rather_long_model_file_name.pb'
    New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9 -Path $sample
    $coord = 0.0, 0.0, 0.0, 0.95, 0.1, 0.0, -0.2, 0.92, 0.1, 3.1, 0.2, 0.3, 3.9, 0.5, 0.1, 2.8, 1.1, 0.6
    $types = 0, 1, 1, 0, 1, 1
    $box = 8.0, 0, 0, 0, 8.0, 0, 0, 0, 8.0
    $model = Import-FrozenModel $sample
    $range = $model | Measure-EmbeddingRange
    $legacy = Import-FrozenModel (New-TinyVariant '1.2' $TestDrive) -WarningAction SilentlyContinue

    # Views show files relative to the current location, as a user working in the model folder sees them.
    Set-Location $TestDrive

    # What a user sees in an 80-column console.
    function Get-Lines($object) { ($object | Out-String -Width 80) -split "`r?`n" }
}

Describe 'Views and help in 80 columns' {
    It 'the <Name> view fits 80 columns' -TestCases @(
        @{ Name = 'FrozenModel'; Make = { $model } }
        @{ Name = 'ModelVersionInfo'; Make = { $model, $legacy | Test-ModelVersion } }
        @{ Name = 'EmbeddingRange'; Make = { $range } }
        @{ Name = 'TabulatedModel'; Make = { $range | New-TabulatedModel } }
        @{ Name = 'NetTable'; Make = { ($range | New-TabulatedModel).Tables } }
        @{ Name = 'CompressionSummary'; Make = { Compress-FrozenModel $sample (Join-Path $TestDrive 'c.pb') -Force } }
        @{ Name = 'CompressedNetSummary'; Make = { (Compress-FrozenModel $sample (Join-Path $TestDrive 'c.pb') -Force).Nets } }
        @{ Name = 'TableUsage'; Make = { Compress-FrozenModel $sample (Join-Path $TestDrive 'c.pb') -Force | Out-Null; Import-FrozenModel (Join-Path $TestDrive 'c.pb') | Invoke-FrozenModel -Coordinate $coord -AtomType $types -Box $box -TableUsage } }
        @{ Name = 'ModelOutput'; Make = { $model | Invoke-FrozenModel -Coordinate $coord -AtomType $types -Box $box } }
        @{ Name = 'ModelComparison'; Make = { Compare-FrozenModel $model $model -Coordinate $coord -AtomType $types -Box $box } }
        @{ Name = 'NodeValue'; Make = { $model | Invoke-FrozenModel -Coordinate $coord -AtomType $types -Box $box -Output o_energy, o_rmat } }
        @{ Name = 'StepTrial'; Make = { ($range | New-TabulatedModel -MaxError 1e-6).StepTrials } }
    ) {
        param($Name, $Make)
        $object = & $Make
        $lines = Get-Lines $object
        $lines | Where-Object { $_.Trim() } | Should -Not -BeNullOrEmpty
        # PowerShell wraps or cuts what does not fit, so a view that fits renders the same at 80 and at 200 columns.
        $wide = ($object | Out-String -Width 200) -split "`r?`n"
        $narrow = (($lines | ForEach-Object { $_.TrimEnd() }) -join "`n").Trim()
        $narrow | Should -BeExactly (($wide | ForEach-Object { $_.TrimEnd() }) -join "`n").Trim() -Because "the $Name view fits 80 columns"
        @($lines | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
    }

    It 'Test-ModelVersion shows one line per model' {
        $lines = @(Get-Lines ($model, $legacy | Test-ModelVersion) | Where-Object { $_.Trim() })
        $lines.Count | Should -Be 4 -Because 'a header, its rule and one row per model'
        $lines[3] | Should -Match 'after Convert-LegacyModel -From 1\.2'
    }

    It '<Topic> fits 80 columns' -TestCases $aboutTopics {
        param($Topic)
        $text = Get-Help $Topic | Out-String -Width 80
        $text | Should -Match 'SHORT DESCRIPTION'
        @($text -split "`r?`n" | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
    }

    It 'writes exponents with two digits and ranges as closed intervals' {
        $text = Compress-FrozenModel $sample (Join-Path $TestDrive 'c2.pb') -Force | Out-String -Width 80
        $text | Should -Match '\d\.\d\dE-\d\d\b'
        $text | Should -Not -Match 'E-0\d\d'
        $text | Should -Match 'filter_0_net_0 \[-?\d+, \d+\]'
    }

    It 'shows StepTrials as a table' {
        $t = $range | New-TabulatedModel -MaxError 1e-6
        $t.StepTrials | Should -Not -BeNullOrEmpty
        $lines = @(Get-Lines $t.StepTrials | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^\s*Step\s+MaxValueError\s+MaxDerivativeError\s+TableMB\s+Accepted'
        $lines.Count | Should -Be (2 + @($t.StepTrials).Count)
    }

    It 'completes node names for Invoke-FrozenModel -Output, model outputs first' {
        $script = 'Invoke-FrozenModel -InputObject $model -Coordinate 0 -AtomType 0 -Output o_'
        $result = TabExpansion2 -inputScript $script -cursorColumn $script.Length
        $names = $result.CompletionMatches.CompletionText
        $names | Should -Contain 'o_energy'
        $names | Should -Contain 'o_descriptor'
        $names | ForEach-Object { $_ | Should -BeLike 'o_*' }
        $script = 'Invoke-FrozenModel -InputObject $model -Coordinate 0 -AtomType 0 -Output filter_type_0/mat'
        (TabExpansion2 -inputScript $script -cursorColumn $script.Length).CompletionMatches.CompletionText | Should -Contain 'filter_type_0/matrix_1_0'
    }
}
