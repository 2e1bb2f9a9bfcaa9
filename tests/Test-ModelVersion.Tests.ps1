BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $script:legacy = @(
        @{ Variant = '2.0'; Source = '2.0'; Loadable = $false; Compressible = $true; Next = 'Convert-LegacyModel -From 2.0 would only raise' }
        @{ Variant = '1.3'; Source = '1.3'; Loadable = $false; Compressible = $false; Next = 'upgrade with Convert-LegacyModel -From 1.3' }
        @{ Variant = '1.2'; Source = '1.2'; Loadable = $false; Compressible = $false; Next = 'upgrade with Convert-LegacyModel -From 1.2' }
        @{ Variant = '1.0'; Source = '1.0'; Loadable = $false; Compressible = $false; Next = 'upgrade with Convert-LegacyModel -From 1.0' }
        @{ Variant = '0.12'; Source = '0.12'; Loadable = $false; Compressible = $false; Next = 'upgrade with Convert-LegacyModel -From 0.12' }
    )
    # One case per model folder of the real deepmd-kit corpus (a new folder adds a case): dp compress's verdict.
    $realRoot = [IO.Path]::Combine($SharedData, 'real')
    $script:real = @(if (Test-Path -LiteralPath $realRoot) {
            Get-ChildItem -LiteralPath $realRoot -Recurse -Filter expected.json | Sort-Object FullName | ForEach-Object {
                $expected = Get-Content -Raw -LiteralPath $_.FullName | ConvertFrom-Json
                @{ Folder = $_.Directory.FullName.Substring($realRoot.Length + 1); Path = [IO.Path]::Combine($_.DirectoryName, 'original.pb'); Accepted = $expected.dp_compress -eq 'accepted' }
            }
        })
    $script:shared = @(
        @{ Name = 'sea_012.pbtxt'; Source = '0.12'; ModelVersion = $null; Quiet = $false }
        @{ Name = 'dp-original.pbtxt'; Source = '2.0'; ModelVersion = '1.0'; Quiet = $true }
        @{ Name = 'graph.000.pb'; Source = '2.0'; ModelVersion = '1.0'; Quiet = $true }
        @{ Name = 'deeppot.pbtxt'; Source = '2.1'; ModelVersion = '1.1'; Quiet = $true }
        @{ Name = 'fparam_aparam.pbtxt'; Source = '2.1'; ModelVersion = '1.1'; Quiet = $true }
    )
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    . ([IO.Path]::Combine($PSScriptRoot, 'LegacyTestModels.ps1'))
    $tiny = [IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt')
    $dir = (New-Item -ItemType Directory -Path ([IO.Path]::Combine($TestDrive, 'variants'))).FullName
}

Describe 'Test-ModelVersion' {
    It 'describes the local tiny model' {
        $info = Import-FrozenModel $tiny | Test-ModelVersion
        $info | Should -BeOfType ([DeepMdCompress.ModelVersionInfo])
        $info.Model.Path | Should -Be (Resolve-Path $tiny).Path
        $info.SourceVersion | Should -Be '2.1'
        $info.ModelVersion | Should -Be '1.1'
        $info.IsCompressible | Should -BeTrue
        # A hand-made graph without the outputs deepmd-kit's C++ DeepPot fetches.
        $info.IsLoadable | Should -BeFalse
        $info.MissingForLoading | Should -Be @('o_energy', 'o_force', 'o_atom_energy', 'o_atom_virial')
        $info.Reason | Should -Match 'would not find o_energy'
        $info.Reason | Should -Match '-MinNborDist or -TrainingScript'
    }

    It 'detects a <Variant> graph and names the next step' -TestCases $legacy {
        param($Variant, $Source, $Loadable, $Compressible, $Next)
        $info = Import-FrozenModel (New-TinyVariant $Variant $dir) | Test-ModelVersion
        $info.SourceVersion | Should -Be $Source
        $info.IsLoadable | Should -Be $Loadable
        $info.IsCompressible | Should -Be $Compressible
        $info.NeedsConversion | Should -Be (-not $Compressible)
        $info.Reason | Should -BeLike "*$Next*"
    }

    It 'says 1.1/1.2 ambiguous rather than guessing' {
        $info = Import-FrozenModel (New-TinyVariant '1.2' $dir) | Test-ModelVersion
        $info.IsAmbiguous | Should -BeTrue
        $info.Reason | Should -Match '1\.1/1\.2 ambiguous'
        $info.ModelVersion | Should -BeNullOrEmpty
    }

    It '-Quiet returns only a boolean: true iff loadable and compressible' {
        $ok = Import-FrozenModel (New-TinyVariant 'loadable' $dir) | Test-ModelVersion -Quiet
        $ok | Should -BeOfType ([bool])
        $ok | Should -BeTrue
        Import-FrozenModel $tiny | Test-ModelVersion -Quiet | Should -BeFalse
        Import-FrozenModel (New-TinyVariant '0.12' $dir) | Test-ModelVersion -Quiet | Should -BeFalse
        Import-FrozenModel (New-TinyVariant 'unknown' $dir) | Test-ModelVersion -Quiet | Should -BeFalse
    }

    It 'reports an unknown model version without guessing' {
        $info = Import-FrozenModel (New-TinyVariant 'unknown' $dir) | Test-ModelVersion
        $info.SourceVersion | Should -BeNullOrEmpty
        $info.ModelVersion | Should -Be '7.3'
        $info.IsLoadable | Should -BeFalse
        $info.Reason | Should -Match 'unknown deepmd-kit version'
        $info.Reason | Should -Match 'incompatible model: version 7\.3 in graph, but version 1\.1 supported'
    }

    It 'takes many models from the pipeline, one result each, in order' {
        $paths = 'loadable', '1.3', '0.12' | ForEach-Object { New-TinyVariant $_ $dir }
        $out = @(Import-FrozenModel -LiteralPath $paths | Test-ModelVersion)
        $out.Count | Should -Be 3
        $out.SourceVersion | Should -Be @('2.1', '1.3', '0.12')
        @($paths | Import-FrozenModel | Test-ModelVersion -Quiet) | Should -Be @($true, $false, $false)
    }

    It 'binds -InputObject by position and refuses what is not a model' {
        (Test-ModelVersion (Import-FrozenModel $tiny)).SourceVersion | Should -Be '2.1'
        { Test-ModelVersion -InputObject $null } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { 'x' | Test-ModelVersion -ErrorAction Stop } | Should -Throw -ErrorId 'InputObjectNotBound*'
    }

    It 'never changes the model or its file' {
        $path = New-TinyVariant '0.12' $dir
        $hash = (Get-FileHash -LiteralPath $path).Hash
        $m = Import-FrozenModel $path
        $null = $m | Test-ModelVersion
        $m.ModelVersion | Should -BeNullOrEmpty
        $m.NodeCount | Should -Be (Import-FrozenModel $path).NodeCount
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $hash
    }

    It 'shows as a table with the next step, and the full reason as a list' {
        $info = Import-FrozenModel (New-TinyVariant '1.3' $dir) -WarningAction SilentlyContinue | Test-ModelVersion
        $text = $info | Out-String -Width 80
        $text | Should -Match 'Model\s+Source\s+Version\s+Loadable\s+Compress'
        $text | Should -Match 'tiny_1\.3\.pbtxt\s+1\.3\s+\(none\)\s+False\s+after Convert-LegacyModel -From 1\.3'
        $info.Reason | Should -Match 'made by deepmd-kit 1\.3'
    }

    It 'lets the documented example stop a script on an incompatible model' {
        $model = Import-FrozenModel (New-TinyVariant '1.0' $dir)
        $run = {
            $ErrorActionPreference = 'Stop'
            if (-not ($model | Test-ModelVersion -Quiet)) {
                throw "Cannot compress $($model.Path): $(($model | Test-ModelVersion).Reason)"
            }
            'went on'
        }
        { & $run } | Should -Throw '*upgrade with Convert-LegacyModel -From 1.0*'
        $model = Import-FrozenModel (New-TinyVariant 'loadable' $dir)
        & $run | Should -Be 'went on'
    }

    It 'has help with synopsis, parameters and an example that stops a script' {
        $help = Get-Help Test-ModelVersion -Full
        $help.Synopsis | Should -Match 'deepmd-kit'
        $help.parameters.parameter.name | Should -Be @('InputObject', 'Quiet')
        ($help.parameters.parameter | Where-Object name -EQ 'Quiet').description.Text | Should -Match 'true'
        $code = $help.examples.example.code -join "`n"
        $code | Should -Match 'Test-ModelVersion -Quiet'
        $code | Should -Match 'throw'
    }

    Context 'deepmd-kit reference models' -Skip:(-not $HasShared) {
        It 'detects <Name> as <Source>' -TestCases $shared {
            param($Name, $Source, $ModelVersion, $Quiet)
            $m = Import-FrozenModel (Get-SharedModel $Name)
            $info = $m | Test-ModelVersion
            $info.SourceVersion | Should -Be $Source
            $info.ModelVersion | Should -Be $ModelVersion
            $m | Test-ModelVersion -Quiet | Should -Be $Quiet
        }

        It 'says what dp compress says of the real <Folder> model (accepted: <Accepted>)' -TestCases $real -Skip:($real.Count -eq 0) {
            param($Folder, $Path, $Accepted)
            $info = Import-FrozenModel -LiteralPath $Path | Test-ModelVersion
            $info.IsCompressible | Should -Be $Accepted
            Import-FrozenModel -LiteralPath $Path | Test-ModelVersion -Quiet | Should -Be $Accepted
            if (-not $Accepted) {
                $info.Refusal.ErrorId | Should -Not -BeNullOrEmpty
                $info.Reason | Should -Match ([regex]::Escape($info.Refusal.ErrorId))
            }
        }

        It 'explains that sea_012 needs conversion, then min_nbor_dist' {
            $info = Import-FrozenModel (Get-SharedModel 'sea_012.pbtxt') | Test-ModelVersion
            $info.IsLoadable | Should -BeFalse
            $info.Reason | Should -Match 'upgrade with Convert-LegacyModel -From 0\.12; after that compression will still need -MinNborDist'
        }
    }
}
