BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $tiny = [IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt')
    $model = Import-FrozenModel -Path $tiny
}

Describe 'Export-FrozenModel' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'writes binary by extension and the result re-imports equal' {
        $target = Join-Path $dir 'out.pb'
        $model | Export-FrozenModel -Path $target
        $back = Import-FrozenModel $target
        $back.Format | Should -Be 'Binary'
        $back.GetGraphDef().Equals($model.GetGraphDef()) | Should -BeTrue
    }

    It 'writes text by extension or by -Format' {
        $model | Export-FrozenModel -Path (Join-Path $dir 'out.pbtxt')
        (Get-Content (Join-Path $dir 'out.pbtxt') -TotalCount 1) | Should -Match '^node \{'
        $model | Export-FrozenModel -Path (Join-Path $dir 'out.bin') -Format Text
        (Import-FrozenModel (Join-Path $dir 'out.bin')).Format | Should -Be 'Text'
    }

    It 'binds a positional path after the pipe' {
        $f = $model | Export-FrozenModel (Join-Path $dir 'pos.pb') -PassThru
        $f.Name | Should -Be 'pos.pb'
        Export-FrozenModel (Join-Path $dir 'pos2.pb') $model
        Test-Path (Join-Path $dir 'pos2.pb') | Should -BeTrue
    }

    It 'returns the file with -PassThru' {
        $f = $model | Export-FrozenModel -Path (Join-Path $dir 'p.pb') -PassThru
        $f | Should -BeOfType ([IO.FileInfo])
        $f.Length | Should -BeGreaterThan 0
    }

    It 'writes nothing with -WhatIf' {
        $target = Join-Path $dir 'w.pb'
        $model | Export-FrozenModel -Path $target -WhatIf
        Test-Path $target | Should -BeFalse
        @(Get-ChildItem $dir).Count | Should -Be 0
    }

    It 'refuses to overwrite without -Force and keeps the old file' {
        $target = Join-Path $dir 'exists.pb'
        Set-Content -LiteralPath $target -Value 'previous'
        $model | Export-FrozenModel -Path $target -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputFileExists,*'
        Get-Content -LiteralPath $target | Should -Be 'previous'
        $model | Export-FrozenModel -Path $target -Force
        (Import-FrozenModel $target).NodeCount | Should -Be $model.NodeCount
        @(Get-ChildItem $dir -Force).Count | Should -Be 1
    }

    It 'refuses to overwrite its own input file' {
        $copy = Join-Path $dir 'self.pbtxt'
        Copy-Item -LiteralPath $tiny -Destination $copy
        $hash = (Get-FileHash $copy).Hash
        $m = Import-FrozenModel $copy
        $m | Export-FrozenModel -Path $copy -Force -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputIsInput,*'
        (Get-FileHash $copy).Hash | Should -Be $hash
    }

    It 'reports a directory as output path' {
        $model | Export-FrozenModel -LiteralPath $dir -Force -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputPathIsDirectory,*'
    }

    It 'reports a missing output folder and leaves no file' {
        $model | Export-FrozenModel -Path (Join-Path $dir 'no/such/x.pb') -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputDirectoryNotFound,*'
        @(Get-ChildItem $dir -Recurse -Force).Count | Should -Be 0
    }

    It 'round-trips a shared binary model byte for byte' -Skip:(-not $HasShared) {
        $src = Get-SharedModel 'graph.000.pb'
        $target = Join-Path $dir 'graph.pb'
        Import-FrozenModel $src | Export-FrozenModel -Path $target
        (Get-FileHash $target).Hash | Should -Be (Get-FileHash $src).Hash
    }

    It 'shows synopsis, every parameter and an example in Get-Help' {
        $help = Get-Help Export-FrozenModel -Full
        $help.Synopsis | Should -Match 'atomically'
        foreach ($p in 'InputObject', 'Path', 'LiteralPath', 'Format', 'Force', 'PassThru', 'WhatIf', 'Confirm') {
            $help.parameters.parameter.name | Should -Contain $p
        }
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
    }
}
