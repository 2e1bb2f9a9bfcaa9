namespace DeepMdCompress.Core.Errors;

/// <summary>
/// The error ids of the module, one per condition, used by every stage that meets it: an ErrorRecord's
/// FullyQualifiedErrorId starts with one of these. The help topic about_DeepMdCompress_Errors lists them, and
/// ErrorCatalogueTests keep that list, this class and the code in step.
/// </summary>
public static class ErrorIds
{
    // ---------------------------------------------------------------- Paths, files and writing

    /// <summary>A file named by a path does not exist.</summary>
    public const string FileNotFound = "FileNotFound";

    /// <summary>A path (or wildcard) matches no file.</summary>
    public const string PathNotFound = "PathNotFound";

    /// <summary>A path names a folder where a file is expected.</summary>
    public const string PathIsDirectory = "PathIsDirectory";

    /// <summary>A path is on a PowerShell provider other than the file system.</summary>
    public const string PathNotFileSystem = "PathNotFileSystem";

    /// <summary>A folder named by a path does not exist.</summary>
    public const string DirectoryNotFound = "DirectoryNotFound";

    /// <summary>The file system refused access to a file.</summary>
    public const string AccessDenied = "AccessDenied";

    /// <summary>Reading a file failed.</summary>
    public const string IOError = "IOError";

    /// <summary>A graph file is empty.</summary>
    public const string EmptyFile = "EmptyFile";

    /// <summary>A graph (read or written) exceeds protobuf's 2 GB limit.</summary>
    public const string GraphTooLarge = "GraphTooLarge";

    /// <summary>The output file exists and -Force was not given.</summary>
    public const string OutputFileExists = "OutputFileExists";

    /// <summary>The output path is the input file, which is never overwritten.</summary>
    public const string OutputIsInput = "OutputIsInput";

    /// <summary>Two inputs of one command would write the same output file.</summary>
    public const string OutputClash = "OutputClash";

    /// <summary>The output path is a folder.</summary>
    public const string OutputPathIsDirectory = "OutputPathIsDirectory";

    /// <summary>The output file's folder does not exist.</summary>
    public const string OutputDirectoryNotFound = "OutputDirectoryNotFound";

    /// <summary>The file system refused to write the output.</summary>
    public const string OutputAccessDenied = "OutputAccessDenied";

    /// <summary>Writing the output failed; nothing was left at the target.</summary>
    public const string OutputWriteFailed = "OutputWriteFailed";

    /// <summary>A pipeline object is not of a type the cmdlet takes.</summary>
    public const string InvalidInputType = "InvalidInputType";

    /// <summary>The command was stopped (Ctrl+C); nothing was written.</summary>
    public const string OperationStopped = "OperationStopped";

    /// <summary>A failure the module did not anticipate (please report it).</summary>
    public const string UnexpectedError = "UnexpectedError";

    // ---------------------------------------------------------------- Reading graphs

    /// <summary>A .pb or .pbtxt file is not a well-formed GraphDef (the message gives the position).</summary>
    public const string GraphParseError = "GraphParseError";

    /// <summary>A text-format graph nests messages deeper than any GraphDef does.</summary>
    public const string NestingTooDeep = "NestingTooDeep";

    /// <summary>A text-format graph holds a string longer than the reader's limit.</summary>
    public const string StringTooLong = "StringTooLong";

    /// <summary>A tensor in the graph cannot be decoded (dtype, shape and content disagree).</summary>
    public const string InvalidTensor = "InvalidTensor";

    /// <summary>A tensor shape has a negative or unknown dimension where a size is needed.</summary>
    public const string InvalidTensorShape = "InvalidTensorShape";

    /// <summary>A tensor's content does not hold as many values as its shape says.</summary>
    public const string TensorSizeMismatch = "TensorSizeMismatch";

    /// <summary>A tensor would exceed the element limit of one array.</summary>
    public const string TensorTooLarge = "TensorTooLarge";

    /// <summary>A tensor has a dtype the module does not decode.</summary>
    public const string UnsupportedTensorType = "UnsupportedTensorType";

    /// <summary>The graph would not load in TensorFlow (ops, attrs or inputs disagree with the op registry).</summary>
    public const string InvalidGraph = "InvalidGraph";

    /// <summary>Two nodes of the graph have the same name.</summary>
    public const string DuplicateNode = "DuplicateNode";

    /// <summary>The graph has a cycle; frozen inference graphs have none.</summary>
    public const string GraphCycle = "GraphCycle";

    // ---------------------------------------------------------------- Model structure

    /// <summary>The graph is not a DeePMD frozen model (no descriptor or model attributes).</summary>
    public const string NotADeePMDModel = "NotADeePMDModel";

    /// <summary>The descriptor statistics (t_avg, t_std) are malformed, non-finite or zero.</summary>
    public const string InvalidStatistics = "InvalidStatistics";

    /// <summary>An embedding-net weight contains NaN or infinite values.</summary>
    public const string InvalidWeights = "InvalidWeights";

    /// <summary>The type map names fewer types than the model has.</summary>
    public const string TypeMapTooShort = "TypeMapTooShort";

    /// <summary>An embedding net's layers are missing or their shapes do not chain.</summary>
    public const string InvalidEmbeddingNet = "InvalidEmbeddingNet";

    /// <summary>The descriptor's t_avg/t_std constants are missing.</summary>
    public const string MissingStatistics = "MissingStatistics";

    /// <summary>The model's rcut or rcut_smth is unknown.</summary>
    public const string MissingCutoff = "MissingCutoff";

    /// <summary>The model's number of types is unknown.</summary>
    public const string MissingNTypes = "MissingNTypes";

    /// <summary>descrpt_attr/ntypes is not a positive number.</summary>
    public const string InvalidNTypes = "InvalidNTypes";

    /// <summary>model_attr/model_type is not a string.</summary>
    public const string InvalidModelType = "InvalidModelType";

    /// <summary>A model attribute node the evaluator reads is not a constant.</summary>
    public const string InvalidModelAttribute = "InvalidModelAttribute";

    /// <summary>The model type cannot be evaluated (only ener, dipole and polar can).</summary>
    public const string UnsupportedModelType = "UnsupportedModelType";

    /// <summary>Compare-FrozenModel was given a model that is not an energy model.</summary>
    public const string NotAnEnergyModel = "NotAnEnergyModel";

    /// <summary>A node the evaluator feeds or fetches is not in the graph.</summary>
    public const string MissingNode = "MissingNode";

    /// <summary>A model output has a shape other than deepmd-kit's.</summary>
    public const string UnexpectedOutputShape = "UnexpectedOutputShape";

    // ---------------------------------------------------------------- Versions and conversion

    /// <summary>The deepmd-kit version (hence the graph layout) of the model cannot be detected.</summary>
    public const string UnknownModelVersion = "UnknownModelVersion";

    /// <summary>A model made before deepmd-kit 2.0 must be upgraded with Convert-LegacyModel first.</summary>
    public const string LegacyModel = "LegacyModel";

    /// <summary>-From names a version the graph does not look like (use -Force to convert anyway).</summary>
    public const string VersionMismatch = "VersionMismatch";

    /// <summary>-From is not a version dp convert-from knows.</summary>
    public const string InvalidSourceVersion = "InvalidSourceVersion";

    /// <summary>A conversion step would create a node that already exists.</summary>
    public const string ConversionConflict = "ConversionConflict";

    // ---------------------------------------------------------------- What deepmd-kit does not compress (docs/descriptors.md)

    /// <summary>The model is already compressed (TabulateFusion ops or root model_type compressed_model).</summary>
    public const string AlreadyCompressed = "AlreadyCompressed";

    /// <summary>The descriptor family has no tabulated kernels in deepmd-kit (se_a_mask, unknown families).</summary>
    public const string UnsupportedDescriptor = "UnsupportedDescriptor";

    /// <summary>The embedding nets have resnet time-step variables ("descriptor resnet_dt must be false!").</summary>
    public const string ResnetDtNotCompressible = "ResnetDtNotCompressible";

    /// <summary>The type embedding is concatenated to the net input; only strip mode compresses.</summary>
    public const string TypeEmbeddingConcatNotCompressible = "TypeEmbeddingConcatNotCompressible";

    /// <summary>se_atten without its strip-mode type net (*_two_side_ebd): concat mode is not compressible.</summary>
    public const string TypeNetMissing = "TypeNetMissing";

    /// <summary>se_atten with attention layers ("can not compress model when attention layer is not 0").</summary>
    public const string AttentionLayersNotCompressible = "AttentionLayersNotCompressible";

    /// <summary>A strip-mode type net whose deeper layers do not double in width.</summary>
    public const string TypeNetNotDoubling = "TypeNetNotDoubling";

    /// <summary>The embedding activation is not one deepmd-kit's tabulation knows.</summary>
    public const string UnsupportedActivation = "UnsupportedActivation";

    /// <summary>The embedding activation cannot be determined, or a parameter names an unknown one.</summary>
    public const string UnknownActivation = "UnknownActivation";

    /// <summary>A one-layer embedding net (deepmd-kit's tabulation needs two or more layers).</summary>
    public const string SingleLayerNet = "SingleLayerNet";

    /// <summary>An embedding layer has no bias.</summary>
    public const string MissingBias = "MissingBias";

    /// <summary>Half-precision embedding weights.</summary>
    public const string HalfPrecisionNotSupported = "HalfPrecisionNotSupported";

    /// <summary>A net deepmd-kit would tabulate is missing from the graph, or the descriptor has no nets.</summary>
    public const string MissingEmbeddingNet = "MissingEmbeddingNet";

    /// <summary>No centre type contributes to a shared net's range (all excluded, or sel 0).</summary>
    public const string EmptyNetRange = "EmptyNetRange";

    /// <summary>An embedding net's forward subgraph is not laid out as deepmd-kit writes it.</summary>
    public const string UnrecognisedNetLayout = "UnrecognisedNetLayout";

    /// <summary>The gradient subgraph around an embedding net is not laid out as TensorFlow writes it.</summary>
    public const string UnrecognisedGradientLayout = "UnrecognisedGradientLayout";

    /// <summary>A table's dtype differs from the dtype its net computes in.</summary>
    public const string TableTypeMismatch = "TableTypeMismatch";

    // ---------------------------------------------------------------- min_nbor_dist and training data

    /// <summary>The graph has no train_attr/min_nbor_dist and no -MinNborDist, -TrainingScript or -TrainingData was given.</summary>
    public const string MinNborDistUnavailable = "MinNborDistUnavailable";

    /// <summary>-MinNborDist (or a computed min_nbor_dist) is not a positive finite distance.</summary>
    public const string InvalidMinNborDist = "InvalidMinNborDist";

    /// <summary>The graph's train_attr/min_nbor_dist is not a positive finite distance.</summary>
    public const string InvalidGraphMinNborDist = "InvalidGraphMinNborDist";

    /// <summary>Two atoms of the training data are at distance 0.</summary>
    public const string OverlappingAtoms = "OverlappingAtoms";

    /// <summary>The training script does not exist.</summary>
    public const string TrainingScriptNotFound = "TrainingScriptNotFound";

    /// <summary>The training script is not valid JSON of deepmd-kit's form, or too large.</summary>
    public const string TrainingScriptInvalid = "TrainingScriptInvalid";

    /// <summary>The training script is YAML; only JSON is read.</summary>
    public const string TrainingScriptUnsupportedFormat = "TrainingScriptUnsupportedFormat";

    /// <summary>The training script names no training systems.</summary>
    public const string TrainingScriptNoSystems = "TrainingScriptNoSystems";

    /// <summary>No data system (a folder with type.raw) was found where the training script points.</summary>
    public const string NoSystemFound = "NoSystemFound";

    /// <summary>More data systems were found than the scan's limit.</summary>
    public const string TooManySystems = "TooManySystems";

    /// <summary>A distance plot was asked for without training data, and the range was not measured on any.</summary>
    public const string NoDistanceData = "NoDistanceData";

    /// <summary>A data system folder does not exist.</summary>
    public const string SystemNotFound = "SystemNotFound";

    /// <summary>A data system has no type.raw.</summary>
    public const string MissingTypeRaw = "MissingTypeRaw";

    /// <summary>type.raw is empty or holds something other than non-negative integers.</summary>
    public const string TypeRawInvalid = "TypeRawInvalid";

    /// <summary>type_map.raw names no elements or is malformed.</summary>
    public const string TypeMapRawInvalid = "TypeMapRawInvalid";

    /// <summary>A mixed-type data system has no type_map.raw.</summary>
    public const string MissingTypeMapRaw = "MissingTypeMapRaw";

    /// <summary>type.raw lists more atoms than the reader's limit.</summary>
    public const string TooManyAtoms = "TooManyAtoms";

    /// <summary>A data system has no set.* folder.</summary>
    public const string NoSetFolders = "NoSetFolders";

    /// <summary>A set's coord.npy holds no frames.</summary>
    public const string EmptySet = "EmptySet";

    /// <summary>A set has no coord.npy.</summary>
    public const string MissingCoordNpy = "MissingCoordNpy";

    /// <summary>A periodic set has no box.npy.</summary>
    public const string MissingBoxNpy = "MissingBoxNpy";

    /// <summary>coord.npy's shape does not fit the number of atoms in type.raw.</summary>
    public const string CoordShapeMismatch = "CoordShapeMismatch";

    /// <summary>box.npy's shape is wrong, or a cell is non-finite or degenerate.</summary>
    public const string InvalidBox = "InvalidBox";

    /// <summary>Some sets of a system have real_atom_types.npy and some do not.</summary>
    public const string MixedTypeInconsistent = "MixedTypeInconsistent";

    /// <summary>A data system's elements are not all in the model's type map.</summary>
    public const string TypeMapMismatch = "TypeMapMismatch";

    /// <summary>An atom's type is outside the system's type map.</summary>
    public const string TypeOutOfRange = "TypeOutOfRange";

    /// <summary>Two data systems' type maps contradict each other.</summary>
    public const string InconsistentTypeMaps = "InconsistentTypeMaps";

    /// <summary>A .npy file does not exist.</summary>
    public const string DataFileNotFound = "DataFileNotFound";

    /// <summary>A file is not a .npy file.</summary>
    public const string NpyBadMagic = "NpyBadMagic";

    /// <summary>A .npy file has a format version other than 1.0, 2.0 or 3.0.</summary>
    public const string NpyUnsupportedVersion = "NpyUnsupportedVersion";

    /// <summary>A .npy header is malformed or too long.</summary>
    public const string NpyHeaderInvalid = "NpyHeaderInvalid";

    /// <summary>A .npy file ends early.</summary>
    public const string NpyTruncated = "NpyTruncated";

    /// <summary>A .npy file holds more data than its header declares.</summary>
    public const string NpyTrailingData = "NpyTrailingData";

    /// <summary>A .npy shape is malformed or overflows.</summary>
    public const string NpyShapeInvalid = "NpyShapeInvalid";

    /// <summary>A .npy file holds a dtype other than float32/float64/int32/int64.</summary>
    public const string NpyUnsupportedDtype = "NpyUnsupportedDtype";

    /// <summary>A .npy file is big-endian.</summary>
    public const string NpyBigEndian = "NpyBigEndian";

    /// <summary>A .npy file is stored in Fortran order.</summary>
    public const string NpyFortranOrder = "NpyFortranOrder";

    /// <summary>An integer .npy array holds a value that is not an int32 integer.</summary>
    public const string NpyNotInteger = "NpyNotInteger";

    /// <summary>A .npy array exceeds the element limit of one array.</summary>
    public const string NpyTooLarge = "NpyTooLarge";

    /// <summary>A data file holds fewer values than its frames need.</summary>
    public const string FrameCountMismatch = "FrameCountMismatch";

    /// <summary>The model needs fparam/aparam but the data system has no fparam.npy/aparam.npy.</summary>
    public const string MissingParameters = "MissingParameters";

    /// <summary>A data system has no frames.</summary>
    public const string NoFrames = "NoFrames";

    /// <summary>-MaxFrames is not positive.</summary>
    public const string InvalidMaxFrames = "InvalidMaxFrames";

    // ---------------------------------------------------------------- Tabulation settings

    /// <summary>The step (dp compress -s) is not a positive finite number.</summary>
    public const string InvalidStep = "InvalidStep";

    /// <summary>The -MaxError step ladder is empty or holds an invalid step.</summary>
    public const string InvalidStepLadder = "InvalidStepLadder";

    /// <summary>Extrapolate (dp compress -e) is not an integer of at least 1.</summary>
    public const string InvalidExtrapolate = "InvalidExtrapolate";

    /// <summary>The check frequency (dp compress -f) is not an integer.</summary>
    public const string InvalidFrequency = "InvalidFrequency";

    /// <summary>-MaxError is not a positive number.</summary>
    public const string InvalidMaxError = "InvalidMaxError";

    /// <summary>No step of the ladder reaches the -MaxError target.</summary>
    public const string MaxErrorNotReached = "MaxErrorNotReached";

    /// <summary>The embedding range lists no nets.</summary>
    public const string NoNetsToTabulate = "NoNetsToTabulate";

    /// <summary>The embedding range lists a net twice.</summary>
    public const string DuplicateNet = "DuplicateNet";

    /// <summary>A range or table names a net the model does not have.</summary>
    public const string NetNotFound = "NetNotFound";

    /// <summary>A net's range is not a finite interval, or not one its table layout can hold.</summary>
    public const string InvalidRange = "InvalidRange";

    /// <summary>A table grid has no defined length.</summary>
    public const string InvalidGrid = "InvalidGrid";

    /// <summary>A table would have too many rows.</summary>
    public const string TableTooLarge = "TableTooLarge";

    /// <summary>A table's grid and row count disagree (deepmd-kit's arrays would not line up).</summary>
    public const string InconsistentTable = "InconsistentTable";

    // ---------------------------------------------------------------- Evaluation

    /// <summary>The evaluator does not implement an op type the graph needs.</summary>
    public const string UnsupportedOp = "UnsupportedOp";

    /// <summary>A placeholder the outputs depend on was not fed.</summary>
    public const string MissingFeed = "MissingFeed";

    /// <summary>A fed tensor's dtype differs from its placeholder's.</summary>
    public const string FeedTypeMismatch = "FeedTypeMismatch";

    /// <summary>A node's output is requested beyond the outputs it has.</summary>
    public const string InvalidOutputIndex = "InvalidOutputIndex";

    /// <summary>An op failed for a reason its kernel did not name.</summary>
    public const string OpFailed = "OpFailed";

    /// <summary>An op got inputs of the wrong number, shape or dtype.</summary>
    public const string InvalidOpInput = "InvalidOpInput";

    /// <summary>A node lacks a required attribute.</summary>
    public const string MissingAttribute = "MissingAttribute";

    /// <summary>A node has an attribute value the evaluator does not implement.</summary>
    public const string UnsupportedAttribute = "UnsupportedAttribute";

    /// <summary>A CheckNumerics node saw NaN or infinite values.</summary>
    public const string CheckNumericsFailed = "CheckNumericsFailed";

    /// <summary>The mesh input of an environment-matrix op has an invalid length.</summary>
    public const string InvalidMesh = "InvalidMesh";

    /// <summary>A mesh carrying LAMMPS neighbour-list pointers, usable only inside LAMMPS.</summary>
    public const string UnsupportedMesh = "UnsupportedMesh";

    /// <summary>An environment-matrix op other than ProdEnvMatAMix got a mixed-type mesh.</summary>
    public const string MixedTypesUnsupported = "MixedTypesUnsupported";

    /// <summary>The periodic cell is so small against rcut that too many images would be needed.</summary>
    public const string TooManyPeriodicImages = "TooManyPeriodicImages";

    /// <summary>An atom type is outside the model's types.</summary>
    public const string UnknownAtomType = "UnknownAtomType";

    /// <summary>The number of coordinates does not fit the atoms and frames.</summary>
    public const string CoordinateCountMismatch = "CoordinateCountMismatch";

    /// <summary>The box has a number of values other than 9 or 9 per frame.</summary>
    public const string BoxCountMismatch = "BoxCountMismatch";

    /// <summary>A coordinate is NaN or infinite.</summary>
    public const string NonFiniteCoordinate = "NonFiniteCoordinate";

    /// <summary>A box contains NaN or infinite values.</summary>
    public const string NonFiniteBox = "NonFiniteBox";

    /// <summary>A box has zero volume.</summary>
    public const string DegenerateBox = "DegenerateBox";

    /// <summary>fparam or aparam contain NaN or infinite values.</summary>
    public const string NonFiniteParameter = "NonFiniteParameter";

    /// <summary>The number of frame parameters (fparam) does not fit the model and frames.</summary>
    public const string FrameParameterMismatch = "FrameParameterMismatch";

    /// <summary>The number of atomic parameters (aparam) does not fit the model, atoms and frames.</summary>
    public const string AtomParameterMismatch = "AtomParameterMismatch";

    /// <summary>The frame count is not positive.</summary>
    public const string InvalidFrameCount = "InvalidFrameCount";

    /// <summary>A table_info input is not finite lower ≤ upper ≤ max with positive strides.</summary>
    public const string InvalidTableInfo = "InvalidTableInfo";

    /// <summary>A table is not a whole number of rows of 6·last_layer_size coefficients.</summary>
    public const string TableShapeMismatch = "TableShapeMismatch";

    /// <summary>An input maps to a row past the table's end.</summary>
    public const string TableTooShort = "TableTooShort";

    /// <summary>A comparison tolerance is negative or not finite.</summary>
    public const string InvalidTolerance = "InvalidTolerance";

    // ---------------------------------------------------------------- Sample models (New-SampleModel)

    /// <summary>The descriptor is not one the generator writes.</summary>
    public const string UnknownDescriptor = "UnknownDescriptor";

    /// <summary>A hybrid sample model without two members of the kinds it can combine.</summary>
    public const string InvalidHybrid = "InvalidHybrid";

    /// <summary>The type map names no type.</summary>
    public const string TypeMapEmpty = "TypeMapEmpty";

    /// <summary>A type name is empty or contains white space.</summary>
    public const string InvalidTypeName = "InvalidTypeName";

    /// <summary>The type map names a type twice.</summary>
    public const string DuplicateTypeName = "DuplicateTypeName";

    /// <summary>The type map has more types than the generator supports.</summary>
    public const string TooManyTypes = "TooManyTypes";

    /// <summary>sel does not have one entry per type.</summary>
    public const string SelCountMismatch = "SelCountMismatch";

    /// <summary>sel has a negative entry or reserves no neighbour slot.</summary>
    public const string InvalidSel = "InvalidSel";

    /// <summary>The embedding net has no layer.</summary>
    public const string NeuronEmpty = "NeuronEmpty";

    /// <summary>An embedding width is not positive.</summary>
    public const string InvalidNeuron = "InvalidNeuron";

    /// <summary>A fitting-net width is not positive.</summary>
    public const string InvalidFittingNeuron = "InvalidFittingNeuron";

    /// <summary>axis_neuron is not between 1 and the last embedding width.</summary>
    public const string InvalidAxisNeuron = "InvalidAxisNeuron";

    /// <summary>The precision is neither float64 nor float32.</summary>
    public const string UnknownPrecision = "UnknownPrecision";

    /// <summary>type_one_side was asked for se_e3, which has one net per type pair.</summary>
    public const string TypeOneSideNotSupported = "TypeOneSideNotSupported";

    /// <summary>exclude_types was asked for se_e3, which has none.</summary>
    public const string ExcludeTypesNotSupported = "ExcludeTypesNotSupported";

    /// <summary>An excluded pair is not two types.</summary>
    public const string InvalidExcludePair = "InvalidExcludePair";

    /// <summary>An excluded pair names a type outside the type map.</summary>
    public const string ExcludeTypeOutOfRange = "ExcludeTypeOutOfRange";

    /// <summary>Every type pair is excluded, so the energy would not depend on the coordinates.</summary>
    public const string AllPairsExcluded = "AllPairsExcluded";

    /// <summary>rcut or rcut_smth is not a valid cutoff.</summary>
    public const string InvalidCutoff = "InvalidCutoff";

    /// <summary>The requested model has more weights than the generator's limit.</summary>
    public const string SampleModelTooLarge = "SampleModelTooLarge";
}
