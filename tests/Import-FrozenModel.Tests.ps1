BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $script:malformed = Get-Content ([IO.Path]::Combine($PSScriptRoot, 'data', 'malformed', 'expected.tsv')) |
        Where-Object { $_ -and -not $_.StartsWith('#') } |
        ForEach-Object { $f, $id, $what = $_ -split "`t"; @{ File = $f; Id = $id; What = $what } }
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $tiny = [IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt')
}

Describe 'Import-FrozenModel' {
    It 'imports a local model and reports its facts' {
        $m = Import-FrozenModel -Path $tiny
        $m | Should -BeOfType ([DeepMdCompress.FrozenModel])
        $m.DescriptorType | Should -Be 'se_e2_a'
        $m.TypeMap | Should -Be @('A', 'B')
        $m.Rcut | Should -Be 4.0
        $m.Sel | Should -Be @(1, 1)
        $m.EmbeddingNeuron | Should -Be @(2, 4)
        $m.Path | Should -Be (Resolve-Path $tiny).Path
    }

    It 'has a format view that shows the key facts' {
        $text = Import-FrozenModel -Path $tiny | Out-String
        $text | Should -Match 'DescriptorType\s*:\s*se_e2_a'
        $text | Should -Match 'TypeMap\s*:\s*A B'
        $text | Should -Not -Match 'GetGraphDef'
    }

    It 'accepts wildcards' {
        $m = @(Import-FrozenModel -Path ([IO.Path]::Combine($LocalData, 'tiny_*.pbtxt')))
        $m.Count | Should -Be 1
    }

    It 'accepts Get-ChildItem output through -LiteralPath' {
        $m = @(Get-ChildItem -LiteralPath $LocalData -Filter 'tiny_se_a.pbtxt' | Import-FrozenModel)
        $m.Count | Should -Be 1
        $m[0].NodeCount | Should -BeGreaterThan 10
    }

    It 'reports a bad file and goes on with the next one' {
        $bad = [IO.Path]::Combine($LocalData, 'malformed', 'unknown_field.pbtxt')
        $out = @(Import-FrozenModel -LiteralPath $bad, $tiny -ErrorAction SilentlyContinue -ErrorVariable err)
        $out.Count | Should -Be 1
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GraphParseError,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].Exception.Message | Should -Match 'line \d+, column \d+'
        $err[0].TargetObject | Should -Be $bad
    }

    It 'gives <Id> for <File> (<What>) and leaves the file unchanged' -TestCases $malformed {
        param($File, $Id)
        $path = [IO.Path]::Combine($LocalData, 'malformed', $File)
        $hash = if (Test-Path -LiteralPath $path -PathType Leaf) { (Get-FileHash -LiteralPath $path).Hash }
        $out = Import-FrozenModel -LiteralPath $path -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        if ($hash) { (Get-FileHash -LiteralPath $path).Hash | Should -Be $hash }
        # What ConciseView prints ("$err", ErrorDetails or else the message) names the file, so a batch can be diagnosed.
        "$($err[0])" | Should -BeLike "*$File*"
    }

    It 'reads a graph by its content, whatever its name says, and notes the mismatch' {
        $text = Import-FrozenModel ([IO.Path]::Combine($LocalData, 'text_as_pb.pb'))
        $text.Format | Should -Be 'Text'
        $text.Notes | Should -Contain 'Format: text_as_pb.pb holds a text GraphDef although its name says binary; it was read as Text.'
        $binary = Join-Path $TestDrive 'binary.pbtxt'
        $text | Export-FrozenModel $binary -Format Binary -Force
        $b = Import-FrozenModel $binary
        $b.Format | Should -Be 'Binary'
        $b.NodeCount | Should -Be $text.NodeCount
    }

    It 'reports a path that matches nothing' {
        Import-FrozenModel -Path ([IO.Path]::Combine($LocalData, 'nothing*.pb')) -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'FileNotFound,*'
    }

    It 'rejects a non-FileSystem path' {
        Import-FrozenModel -LiteralPath 'env:PATH' -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFileSystem,*'
    }

    It 'imports every shared model with the expected facts' -Skip:(-not $HasShared) {
        $models = @(Import-FrozenModel -Path (Get-SharedModel '*.p*'))
        $models.Count | Should -Be 15
        $deeppot = $models | Where-Object { $_.Path -like '*deeppot.pbtxt' }
        $deeppot.DescriptorType | Should -Be 'se_e2_a'
        $deeppot.TypeMap | Should -Be @('O', 'H')
        $deeppot.Rcut | Should -Be 6
        $deeppot.RcutSmth | Should -Be 0.5
        $deeppot.Sel | Should -Be @(46, 92)
        $deeppot.EmbeddingNeuron | Should -Be @(2, 4, 8)
        ($models | Where-Object { $_.Path -like '*deeppot-r.pbtxt' }).DescriptorType | Should -Be 'se_e2_r'
        $legacy = $models | Where-Object { $_.Path -like '*sea_012.pbtxt' }
        $legacy.ModelVersion | Should -BeNullOrEmpty
        $legacy.Notes -join "`n" | Should -Match 'ModelVersion'
    }

    It 'shows synopsis, every parameter and an example in Get-Help' {
        $help = Get-Help Import-FrozenModel -Full
        $help.Synopsis | Should -Match 'frozen models'
        $names = $help.parameters.parameter.name
        $names | Should -Contain 'Path'
        $names | Should -Contain 'LiteralPath'
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
        $help.examples.example[0].code | Should -Match 'Import-FrozenModel'
    }
}
