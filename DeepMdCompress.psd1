@{
    RootModule             = 'DeepMdCompress.dll'
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Desktop', 'Core')
    GUID                   = '5b0e3f7c-2d4a-4e8b-9f61-7a2c9d3e8b14'
    Author                 = 'DeepMdCompress contributors'
    CompanyName            = 'DeepMdCompress'
    Copyright              = '(c) DeepMdCompress contributors. MIT licence.'
    Description            = 'Compresses DeePMD-kit frozen models the way `dp compress` does (tabulated embedding nets) and proves the result with a TensorFlow-free frozen-graph evaluator.'
    PowerShellVersion      = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess       = @('DeepMdCompress.Format.ps1xml')
    # Explicit export lists: no wildcards.
    CmdletsToExport        = @(
        'Import-FrozenModel'
        'Export-FrozenModel'
        'Test-ModelVersion'
        'Convert-LegacyModel'
        'Measure-EmbeddingRange'
        'New-SampleModel'
        'Compress-FrozenModel'
        'New-TabulatedModel'
        'Invoke-FrozenModel'
        'Compare-FrozenModel'
        'Export-TableErrorPlot'
        'Export-EmbeddingRangePlot'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags       = @('DeePMD', 'deepmd-kit', 'compression', 'TensorFlow', 'PSEdition_Core', 'PSEdition_Desktop')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
