BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $model = New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9
    $tables = $model | Measure-EmbeddingRange | New-TabulatedModel
}

Describe 'Export-TableErrorPlot' {
    It 'writes an SVG with one value and one derivative series per net, and each net''s range marked' {
        $path = Join-Path $TestDrive 'errors.svg'
        $file = $tables | Export-TableErrorPlot $path -PassThru
        $file | Should -BeOfType ([IO.FileInfo])
        [xml] $svg = Get-Content -Raw -LiteralPath $path
        $svg.DocumentElement.LocalName | Should -Be 'svg'
        $svg.DocumentElement.NamespaceURI | Should -Be 'http://www.w3.org/2000/svg'
        $series = @($svg.SelectNodes("//*[local-name()='polyline'][@class='series']"))
        $series.Count | Should -Be (2 * $tables.Tables.Count)
        ($series | ForEach-Object { $_.GetAttribute('data-net') } | Sort-Object -Unique) | Should -Be ($tables.Tables.Name | Sort-Object)
        foreach ($s in $series) {
            $points = $s.GetAttribute('points') -split ' '
            $points.Count | Should -BeGreaterThan 100
            $points | ForEach-Object { $_ | Should -Match '^\d+(\.\d+)?,\d+(\.\d+)?$' }
        }
        $marks = @($svg.SelectNodes("//*[local-name()='line'][@class='mark']"))
        ($marks | ForEach-Object { $_.GetAttribute('data-mark') } | Sort-Object -Unique) | Should -Be @('lower', 'max', 'upper')
    }

    It 'writes nothing with -WhatIf and refuses an existing file without -Force' {
        $path = Join-Path $TestDrive 'w.svg'
        $tables | Export-TableErrorPlot $path -WhatIf
        Test-Path $path | Should -BeFalse
        Set-Content -LiteralPath $path -Value 'previous'
        $tables | Export-TableErrorPlot $path -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputFileExists,*'
        Get-Content -LiteralPath $path | Should -Be 'previous'
        $tables | Export-TableErrorPlot $path -Force
        (Get-Content -Raw -LiteralPath $path) | Should -Match '^<svg '
    }

    It 'shows synopsis, every parameter and an example in Get-Help' {
        $help = Get-Help Export-TableErrorPlot -Full
        $help.Synopsis | Should -Match 'SVG'
        foreach ($p in 'InputObject', 'Path', 'LiteralPath', 'Force', 'PassThru') {
            ($help.parameters.parameter | Where-Object name -eq $p).description | Should -Not -BeNullOrEmpty
        }
        @($help.examples.example).Count | Should -BeGreaterThan 0
    }
}
