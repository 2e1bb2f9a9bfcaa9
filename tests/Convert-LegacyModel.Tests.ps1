BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $script:variants = @('2.0', '1.3', '1.2', '1.0', '0.12') | ForEach-Object { @{ Variant = $_ } }
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    . ([IO.Path]::Combine($PSScriptRoot, 'LegacyTestModels.ps1'))
    $tiny = [IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt')
    $dir = (New-Item -ItemType Directory -Path ([IO.Path]::Combine($TestDrive, 'variants'))).FullName
}

Describe 'Convert-LegacyModel' {
    It 'upgrades a <Variant> graph to the 2.1 layout' -TestCases $variants {
        param($Variant)
        $path = New-TinyVariant $Variant $dir
        $new = Import-FrozenModel $path | Convert-LegacyModel -WarningVariable warn
        $warn | Should -BeNullOrEmpty
        $new | Should -BeOfType ([DeepMdCompress.FrozenModel])
        $new.ModelVersion | Should -Be '1.1'
        $new.DescriptorOp | Should -Be 'ProdEnvMatA'
        $new.Path | Should -Be (Resolve-Path $path).Path
        $new.Notes | Should -Contain ($new.Notes | Where-Object { $_ -like "Converted in memory from deepmd-kit $Variant*" })
        $info = $new | Test-ModelVersion
        $info.SourceVersion | Should -Be '2.1'
        $info.IsCompressible | Should -BeTrue
    }

    It 'gives back the nodes of the original, apart from the version constants' {
        $original = Import-FrozenModel $tiny
        $new = Import-FrozenModel (New-TinyVariant '1.2' $dir) | Convert-LegacyModel
        $a = $original.GetGraphDef().Node | Where-Object Name -NE 'model_attr/model_version'
        $b = $new.GetGraphDef().Node | Select-Object -SkipLast 1
        $b.Count | Should -Be $a.Count
        for ($i = 0; $i -lt $a.Count; $i++) { $b[$i].Equals($a[$i]) | Should -BeTrue -Because $a[$i].Name }
        $new.GetGraphDef().Node[-1].Name | Should -Be 'model_attr/model_version'
    }

    It 'converts a pipeline of models, each from its own version' {
        $out = @('0.12', '1.3', '2.0' | ForEach-Object { New-TinyVariant $_ $dir } | Import-FrozenModel | Convert-LegacyModel)
        $out.Count | Should -Be 3
        $out.ModelVersion | Should -Be @('1.1', '1.1', '1.1')
        $out.Notes | Where-Object { $_ -like 'Converted in memory*' } | ForEach-Object { ($_ -split ' ')[5] } | Should -Be @('0.12', '1.3', '2.0')
    }

    It 'returns a current model unchanged, with a warning' {
        $m = Import-FrozenModel $tiny
        $out = $m | Convert-LegacyModel -WarningVariable warn -WarningAction SilentlyContinue
        [object]::ReferenceEquals($out, $m) | Should -BeTrue
        $warn.Count | Should -Be 1
        $warn[0].Message | Should -Match 'already in the deepmd-kit 2\.1 layout \(model version 1\.1\); returned unchanged'
    }

    It 'validates -From and completes its values' {
        $m = Import-FrozenModel $tiny
        { $m | Convert-LegacyModel -From 2.1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { $m | Convert-LegacyModel -From 'auto' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        $line = 'Convert-LegacyModel -From '
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Be @('0.12', '1.0', '1.1', '1.2', '1.3', '2.0')
    }

    It 'refuses a -From the graph does not look like, unless -Force' {
        $m = Import-FrozenModel (New-TinyVariant '1.3' $dir)
        $out = $m | Convert-LegacyModel -From 1.0 -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'VersionMismatch,DeepMdCompress.Commands.ConvertLegacyModelCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match 'does not look like deepmd-kit 1\.0: it shows version 1\.3'
        [object]::ReferenceEquals($err[0].TargetObject, $m) | Should -BeTrue

        # Forced as 1.2 (the graph already has T): the same graph as from 1.3.
        $forced = $m | Convert-LegacyModel -From 1.2 -Force
        $forced.GetGraphDef().Equals(($m | Convert-LegacyModel).GetGraphDef()) | Should -BeTrue
    }

    It 'accepts -From 1.1 for a graph that reads as 1.2' {
        $m = Import-FrozenModel (New-TinyVariant '1.2' $dir)
        ($m | Convert-LegacyModel -From 1.1).GetGraphDef().Equals(($m | Convert-LegacyModel -From 1.2).GetGraphDef()) | Should -BeTrue
    }

    It 'reports <Id> and goes on with the next model' -TestCases @(
        @{ Id = 'UnknownModelVersion'; Variant = 'unknown'; Params = @{} }
        @{ Id = 'ConversionConflict'; Variant = '1.3'; Params = @{ From = '0.12'; Force = $true } }
    ) {
        param($Id, $Variant, $Params)
        $bad = Import-FrozenModel (New-TinyVariant $Variant $dir)
        $good = Import-FrozenModel (New-TinyVariant '1.3' $dir)
        if ($Params.Count) {
            $out = @($bad | Convert-LegacyModel @Params -ErrorAction SilentlyContinue -ErrorVariable err)
        } else {
            $out = @($bad, $good | Convert-LegacyModel -ErrorAction SilentlyContinue -ErrorVariable err)
            $out.Count | Should -Be 1
            $out[0].ModelVersion | Should -Be '1.1'
        }
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
    }

    It 'never changes the input model or its file' {
        $path = New-TinyVariant '0.12' $dir
        $hash = (Get-FileHash -LiteralPath $path).Hash
        $m = Import-FrozenModel $path
        $before = $m.GetGraphDef().Clone()
        $null = $m | Convert-LegacyModel
        $m.GetGraphDef().Equals($before) | Should -BeTrue
        $m.ModelVersion | Should -BeNullOrEmpty
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $hash
    }

    It 'exports a converted model that re-imports as 2.1, and will not overwrite the legacy file' {
        $path = New-TinyVariant '1.0' $dir
        $hash = (Get-FileHash -LiteralPath $path).Hash
        $new = Import-FrozenModel $path | Convert-LegacyModel
        $out = [IO.Path]::Combine($TestDrive, 'upgraded.pb')
        $new | Export-FrozenModel -Path $out
        $back = Import-FrozenModel $out
        ($back | Test-ModelVersion).SourceVersion | Should -Be '2.1'
        $back.GetGraphDef().Equals($new.GetGraphDef()) | Should -BeTrue

        $new | Export-FrozenModel -Path $path -Force -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputIsInput,*'
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $hash
    }

    It 'lists the steps with -Verbose' {
        $verbose = Import-FrozenModel (New-TinyVariant '1.2' $dir) | Convert-LegacyModel -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message | Should -Be @(
            '1.2 -> 1.3: added T = DT_DOUBLE to 1 node(s)'
            '1.3 -> 2.0: added model_attr/model_version = "1.0"; renamed 1 node(s) (DescrptSeA -> ProdEnvMatA, DescrptSeR -> ProdEnvMatR)'
            '2.0 -> 2.1: model_attr/model_version "1.0" -> "1.1"; renamed 0 TabulateFusion node(s) to TabulateFusionSeA'
        )
    }

    It 'has help with synopsis, every parameter and examples' {
        $help = Get-Help Convert-LegacyModel -Full
        $help.Synopsis | Should -Match 'dp convert-from'
        $help.parameters.parameter.name | Should -Be @('InputObject', 'From', 'Force')
        ($help.parameters.parameter | Where-Object name -EQ 'From').description.Text | Should -Match '0\.12, 1\.0, 1\.1, 1\.2, 1\.3 or 2\.0'
        @($help.examples.example).Count | Should -BeGreaterOrEqual 3
        ($help.examples.example.code -join "`n") | Should -Match 'Convert-LegacyModel \| Export-FrozenModel'
    }

    Context 'deepmd-kit reference models' -Skip:(-not $HasShared) {
        It 'upgrades sea_012 (0.12) to a model deepmd-kit 2.2.9 ... 3.x would load' {
            $new = Import-FrozenModel (Get-SharedModel 'sea_012.pbtxt') | Convert-LegacyModel
            $new.ModelVersion | Should -Be '1.1'
            $new.Rcut | Should -Be 6.0
            $new.NTypes | Should -Be 2
            $info = $new | Test-ModelVersion
            $info.IsLoadable | Should -BeTrue
            $info.MissingForLoading | Should -BeNullOrEmpty
            # deepmd-kit 0.12's embedding nets have one layer, which dp compress cannot tabulate.
            $info.IsCompressible | Should -BeFalse
            $info.Refusal.ErrorId | Should -Be 'SingleLayerNet'

            $out = [IO.Path]::Combine($TestDrive, 'sea_012-v2.pb')
            $new | Export-FrozenModel -Path $out
            (Import-FrozenModel $out | Test-ModelVersion).SourceVersion | Should -Be '2.1'
        }

        It 'upgrades <_> (2.0) to 2.1' -ForEach 'graph.000.pb', 'dp-original.pbtxt' {
            $m = Import-FrozenModel (Get-SharedModel $_)
            ($m | Test-ModelVersion).SourceVersion | Should -Be '2.0'
            $new = $m | Convert-LegacyModel
            ($new | Test-ModelVersion).SourceVersion | Should -Be '2.1'
            $new.ModelVersion | Should -Be '1.1'
            $new.NodeCount | Should -Be $m.NodeCount
        }
    }
}
