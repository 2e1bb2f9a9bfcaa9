using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Validation;

namespace DeepMdCompress.Core.Sample;

/// <summary>
/// Writes a complete frozen deepmd-kit energy model (se_e2_a, se_e2_r or se_e3) with seeded random weights,
/// laid out as deepmd-kit 2.2.x builds and <c>dp freeze</c> keeps it: the placeholders and their reshapes,
/// <c>descrpt_attr/*</c> with t_avg/t_std, ProdEnvMatA/R, the per-type slices and embedding nets
/// (<c>filter_type_{i}/matrix_{l}_{j}</c>, type_one_side and exclude_types layouts), the fitting nets
/// (<c>layer_{k}_type_{t}</c>, <c>final_layer_type_{t}</c>), <c>t_bias_atom_e</c>, the energy sums, the
/// <c>gradients/…</c> subgraph <c>tf.gradients(atom_ener, o_rmat)</c> adds, ProdForce/ProdVirial, the
/// <c>o_*</c> outputs and every attribute node the C++ inference reads, plus the training script and
/// <c>train_attr/min_nbor_dist</c> that <c>dp compress</c> needs.
/// </summary>
public static class SampleModelGenerator
{
    /// <summary>deepmd-kit's MODEL_VERSION written into <c>model_attr/model_version</c>.</summary>
    public const string ModelVersion = "1.1";

    /// <summary>The nodes <c>dp freeze</c> keeps for an energy model (freeze.py's list; absent optional ones skipped).</summary>
    public static IReadOnlyList<string> OutputNodes { get; } = new[]
    {
        "model_type", "descrpt_attr/rcut", "descrpt_attr/ntypes", "model_attr/tmap", "model_attr/model_type",
        "model_attr/model_version", "train_attr/min_nbor_dist", "train_attr/training_script", "t_mesh",
        "o_energy", "o_force", "o_virial", "o_atom_energy", "o_atom_virial", "fitting_attr/dfparam", "fitting_attr/daparam",
    };

    /// <summary>
    /// Builds the frozen GraphDef. Throws <see cref="Errors.InvalidParameterException"/> for bad options; the graph is
    /// checked as TensorFlow's importer would (<see cref="GraphValidator"/>) before it is handed out, like every graph
    /// the project writes.
    /// </summary>
    public static GraphDef Generate(SampleModelOptions options, CancellationToken cancellationToken = default)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        options.Validate();
        var graph = new Builder(options, cancellationToken).Build();
        GraphValidator.Validate(graph);
        return graph;
    }

    /// <summary>Builds the model and describes it (<see cref="FrozenModel.Path"/> is null: it lives in memory).</summary>
    public static FrozenModel Create(SampleModelOptions options, CancellationToken cancellationToken = default) =>
        FrozenModelReader.FromGraph(Generate(options, cancellationToken), null, GraphFormat.Binary, cancellationToken);

    /// <summary>
    /// The deepmd-kit input that would train this model, as compact JSON (what <c>train_attr/training_script</c> holds).
    /// Only keys deepmd-kit's argument checker knows, so <c>dp compress</c> can re-read it.
    /// </summary>
    public static string TrainingScript(SampleModelOptions options)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        string descriptor = SampleModelOptions.CanonicalDescriptor(options.Descriptor) ?? options.Descriptor;
        string precision = options.Precision.ToLowerInvariant();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WritePropertyName("model");
            w.WriteStartObject();
            w.WritePropertyName("type_map");
            w.WriteStartArray();
            foreach (string t in options.TypeMap)
            {
                w.WriteStringValue(t);
            }

            w.WriteEndArray();
            w.WritePropertyName("descriptor");
            if (descriptor == "hybrid")
            {
                w.WriteStartObject();
                w.WriteString("type", "hybrid");
                w.WritePropertyName("list");
                w.WriteStartArray();
                foreach (var member in options.Members)
                {
                    WriteDescriptor(w, options.MemberOptions(member));
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                WriteDescriptor(w, options);
            }

            if (descriptor == "se_a_ebd_v2")
            {
                w.WritePropertyName("type_embedding");
                w.WriteStartObject();
                Ints(w, "neuron", new[] { options.TypeEmbeddingDim });
                w.WriteBoolean("resnet_dt", false);
                w.WriteNumber("seed", options.Seed);
                w.WriteEndObject();
            }

            w.WritePropertyName("fitting_net");
            w.WriteStartObject();
            w.WriteString("type", "ener");
            Ints(w, "neuron", options.FittingNeuron);
            w.WriteBoolean("resnet_dt", true);
            w.WriteNumber("numb_fparam", 0);
            w.WriteNumber("numb_aparam", 0);
            w.WriteString("activation_function", "tanh");
            w.WriteString("precision", precision);
            w.WriteBoolean("trainable", true);
            w.WriteNumber("seed", options.Seed);
            Number(w, "rcond", 0.001);
            w.WritePropertyName("atom_ener");
            w.WriteStartArray();
            w.WriteEndArray();
            w.WriteBoolean("use_aparam_as_mask", false);
            w.WriteEndObject();
            w.WriteNumber("data_stat_nbatch", 10);
            Number(w, "data_stat_protect", 0.01);
            w.WriteNumber("data_bias_nsample", 10);
            w.WriteEndObject();

            w.WritePropertyName("learning_rate");
            w.WriteStartObject();
            w.WriteString("type", "exp");
            w.WriteNumber("decay_steps", 5000);
            Number(w, "start_lr", 0.001);
            Number(w, "stop_lr", 3.51e-08);
            w.WriteString("scale_by_worker", "linear");
            w.WriteEndObject();

            w.WritePropertyName("loss");
            w.WriteStartObject();
            w.WriteString("type", "ener");
            Number(w, "start_pref_e", 0.02);
            w.WriteNumber("limit_pref_e", 1);
            w.WriteNumber("start_pref_f", 1000);
            w.WriteNumber("limit_pref_f", 1);
            w.WriteNumber("start_pref_v", 0);
            w.WriteNumber("limit_pref_v", 0);
            w.WriteEndObject();

            w.WritePropertyName("training");
            w.WriteStartObject();
            w.WritePropertyName("training_data");
            w.WriteStartObject();
            w.WritePropertyName("systems");
            w.WriteStartArray();
            w.WriteStringValue("sample-model-without-training-data");
            w.WriteEndArray();
            w.WriteString("batch_size", "auto");
            w.WriteEndObject();
            w.WriteNumber("numb_steps", 0);
            w.WriteNumber("seed", options.Seed);
            w.WriteString("disp_file", "lcurve.out");
            w.WriteNumber("disp_freq", 100);
            w.WriteNumber("save_freq", 1000);
            w.WriteString("save_ckpt", "model.ckpt");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    // One descriptor object of the training script (model.descriptor, or an item of a hybrid's list).
    private static void WriteDescriptor(Utf8JsonWriter w, SampleModelOptions options)
    {
        string descriptor = SampleModelOptions.CanonicalDescriptor(options.Descriptor) ?? options.Descriptor;
        string precision = options.Precision.ToLowerInvariant();
        w.WriteStartObject();
        bool typeEmbedding = SampleModelOptions.TypeEmbeddingDescriptors.Contains(descriptor);
        bool attention = descriptor is "se_atten" or "se_atten_v2";
        w.WriteString("type", descriptor);
        if (attention)
        {
            w.WriteNumber("sel", options.Sel[0]);
        }
        else
        {
            Ints(w, "sel", options.Sel);
        }

        Number(w, "rcut", options.Rcut);
        Number(w, "rcut_smth", options.RcutSmth);
        Ints(w, "neuron", options.Neuron);
        if (descriptor == "se_e2_a" || typeEmbedding)
        {
            w.WriteNumber("axis_neuron", options.AxisNeuron);
        }

        if (attention)
        {
            // deepmd-kit compresses se_atten only without attention layers and with the strip type embedding.
            w.WriteNumber("attn", 16);
            w.WriteNumber("attn_layer", 0);
            w.WriteBoolean("attn_dotr", true);
            w.WriteBoolean("attn_mask", false);
            w.WriteNumber("tebd_dim", options.TypeEmbeddingDim);
            if (descriptor == "se_atten")
            {
                w.WriteString("tebd_input_mode", "strip");
            }
        }

        w.WriteString("activation_function", options.Activation.ToLowerInvariant());
        w.WriteBoolean("resnet_dt", false);
        if (descriptor != "se_e3" && !typeEmbedding)
        {
            w.WriteBoolean("type_one_side", options.TypeOneSide);
        }
        else if (descriptor == "se_e3")
        {
            w.WriteBoolean("set_davg_zero", false);
        }

        w.WriteString("precision", precision);
        w.WriteBoolean("trainable", true);
        w.WriteNumber("seed", options.Seed);
        if (descriptor != "se_e3")
        {
            w.WritePropertyName("exclude_types");
            w.WriteStartArray();
            foreach (var p in options.NormalizedExcludeTypes())
            {
                Ints(w, null, p);
            }

            w.WriteEndArray();
            w.WriteBoolean("set_davg_zero", false);
        }

        w.WriteEndObject();
    }

    private static void Ints(Utf8JsonWriter w, string? name, IEnumerable<int> values)
    {
        if (name is not null)
        {
            w.WritePropertyName(name);
        }

        w.WriteStartArray();
        foreach (int v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    /// <summary>A float the way Python's json writes it (6.0, not 6).</summary>
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.IndexOfAny(new[] { '.', 'E', 'e' }) < 0)
        {
            text += ".0";
        }

        w.WritePropertyName(name);
        w.WriteRawValue(text.Replace("E-0", "e-0").Replace("E", "e"));
    }

    /// <summary>One model build: mirrors deepmd-kit 2.2.x's Python code path op by op, then freezes.</summary>
    private sealed class Builder
    {
        private const DataType Global = DataType.DtDouble;
        private readonly SampleModelOptions _model;
        private readonly CancellationToken _ct;
        private readonly GraphBuilder _g = new();
        private readonly int _ntypes;
        private readonly DataType _prec;
        private readonly bool _hybrid;

        // The descriptor being built: the model's own, or one member of a hybrid (suffix _k on its scopes and outputs).
        private SampleModelOptions _o = null!;
        private string _descriptor = string.Empty;
        private string _sfx = string.Empty;
        private int[] _sel = Array.Empty<int>();
        private int _nnei;
        private int _ndescrpt;
        private int _last;
        private int _dimOut;
        private string _activation = string.Empty;
        private bool _typeEmbedding;

        public Builder(SampleModelOptions options, CancellationToken cancellationToken)
        {
            _model = options;
            _ct = cancellationToken;
            _ntypes = options.NTypes;
            _prec = options.Precision.ToLowerInvariant() == "float32" ? DataType.DtFloat : DataType.DtDouble;
            _hybrid = SampleModelOptions.CanonicalDescriptor(options.Descriptor) == "hybrid";
            Use(_hybrid ? options.MemberOptions(options.Members[0]) : options, string.Empty);
        }

        private void Use(SampleModelOptions options, string suffix)
        {
            _o = options;
            _sfx = suffix;
            _descriptor = SampleModelOptions.CanonicalDescriptor(options.Descriptor)!;
            _sel = options.Sel.ToArray();
            _nnei = _sel.Sum();
            _ndescrpt = _descriptor == "se_e2_r" ? _nnei : 4 * _nnei;
            _last = options.Neuron[options.Neuron.Count - 1];
            _typeEmbedding = SampleModelOptions.TypeEmbeddingDescriptors.Contains(_descriptor);
            _dimOut = _descriptor == "se_e2_a" || _typeEmbedding ? _last * options.AxisNeuron : _last;
            _activation = options.Activation.ToLowerInvariant();
        }

        public GraphDef Build()
        {
            // deepmd/entrypoints/train.py: neighbour statistics and the script, before the trainer builds the model.
            _g.Const(TensorEncoder.ScalarDouble(_o.EffectiveMinNborDist), "train_attr/min_nbor_dist");
            _g.Const(TensorEncoder.ScalarString(TrainingScript(_o)), "train_attr/training_script");
            _g.Const(TensorEncoder.ScalarString("original_model"), "model_type");

            // Trainer placeholders (data placeholders for energies/forces are dead in the frozen graph).
            var box = _g.Placeholder("t_box", Global, -1);
            var coord = _g.Placeholder("t_coord", Global, -1);
            var type = _g.Placeholder("t_type", DataType.DtInt32, -1);
            var natoms = _g.Placeholder("t_natoms", DataType.DtInt32, _ntypes + 2);
            var mesh = _g.Placeholder("t_mesh", DataType.DtInt32, -1);

            // deepmd/model/ener.py build()
            using (_g.Scope("model_attr"))
            {
                _g.Const(TensorEncoder.ScalarString(string.Join(" ", _o.TypeMap)), "tmap");
                _g.Const(TensorEncoder.ScalarString("ener"), "model_type");
                _g.Const(TensorEncoder.ScalarString(ModelVersion), "model_version");
            }

            var coordR = _g.Reshape(coord, new object[] { -1, _g.Mul(_g.Item(natoms, 1), 3) });
            var atype = _g.Reshape(type, new object[] { -1, _g.Item(natoms, 1) });
            _g.Item(_g.Shape(coordR), 0); // input_dict["nframes"]
            var typeEmbedding = _typeEmbedding ? TypeEmbedding() : null;

            // hybrid.py: the members side by side, each with its own scopes (suffix _k), concatenated per atom.
            var members = _hybrid ? _model.Members.Select(m => _model.MemberOptions(m)).ToList() : new List<SampleModelOptions> { _o };
            if (_hybrid)
            {
                using (_g.Scope("descrpt_attr"))
                {
                    _g.Const(TensorEncoder.ScalarDouble(members.Max(m => m.Rcut)), "rcut");
                    _g.Const(TensorEncoder.ScalarInt32(_ntypes), "ntypes");
                }
            }

            var parts = new List<DescriptorTensors>();
            int dimOut = 0;
            for (int k = 0; k < members.Count; k++)
            {
                Use(members[k], _hybrid ? "_" + k.ToString(CultureInfo.InvariantCulture) : string.Empty);
                dimOut += _dimOut;
                parts.Add(_descriptor switch
                {
                    "se_e2_a" => BuildSeA(coordR, atype, natoms, box, mesh),
                    "se_e2_r" => BuildSeR(coordR, atype, natoms, box, mesh),
                    "se_atten" or "se_atten_v2" => BuildSeAtten(coordR, atype, natoms, box, mesh, typeEmbedding!),
                    "se_a_ebd_v2" => BuildSeAEbdV2(coordR, atype, natoms, box, mesh, typeEmbedding!),
                    _ => BuildSeT(coordR, atype, natoms, box, mesh),
                });
            }

            _dimOut = dimOut;
            var descriptorOut = parts.Count == 1 ? parts[0].Output : _g.Concat(parts.Select(p => (object)p.Output).ToList(), 2);
            var dout = _g.Identity(descriptorOut, "o_descriptor");
            _ct.ThrowIfCancellationRequested();
            var atomEner = BuildFitting(dout, natoms, type, typeEmbedding);

            var energyRaw = _g.Reshape(atomEner, new object[] { -1, _g.Item(natoms, 0) }, "o_atom_energy");
            _g.Reduce("Sum", energyRaw, 1, name: "o_energy");

            // Each member's forces and virials through its own gradient scope (gradients, gradients_1, …), summed.
            TfTensor? force = null, virial = null, atomVirial = null;
            for (int k = 0; k < members.Count; k++)
            {
                _ct.ThrowIfCancellationRequested();
                Use(members[k], string.Empty);
                var (f, v, av) = ForceAndVirial(parts[k], atomEner, natoms);
                force = force is null ? f : _g.Add(force, f);
                virial = virial is null ? v : _g.Add(virial, v);
                atomVirial = atomVirial is null ? av : _g.Add(atomVirial, av);
            }

            force = _g.Reshape(force!, new object[] { -1, _g.Mul(3, _g.Item(natoms, 1)) });
            _g.Reshape(force, new object[] { -1, _g.Mul(3, _g.Item(natoms, 1)) }, "o_force");
            _g.Reshape(virial!, new[] { -1, 9 }, "o_virial");
            _g.Reshape(atomVirial!, new object[] { -1, _g.Mul(9, _g.Item(natoms, 1)) }, "o_atom_virial");

            var graph = _g.Freeze(OutputNodes);
            return graph;
        }

        // ProdForce/ProdVirial of one descriptor from the gradient of the atomic energies w.r.t. its environment matrix.
        private (TfTensor Force, TfTensor Virial, TfTensor AtomVirial) ForceAndVirial(DescriptorTensors descriptor, TfTensor atomEner, TfTensor natoms)
        {
            var netDeriv = TfGradients.Gradients(_g, atomEner, descriptor.Rmat);
            var netDerivReshape = _g.Reshape(netDeriv, new object[] { -1, _g.Mul(_g.Item(natoms, 0), _ndescrpt) });
            bool radial = _descriptor == "se_e2_r";
            var attrs = radial
                ? new[] { GraphBuilder.A("T", Global) }
                : new[] { GraphBuilder.A("T", Global), GraphBuilder.A("n_a_sel", (long)_nnei), GraphBuilder.A("n_r_sel", 0L) };
            string kind = radial ? "SeR" : "SeA";
            var force = _g.AddNode(_g.UniqueName("ProdForce" + kind), "ProdForce" + kind, new[] { netDerivReshape, descriptor.RmatDeriv, descriptor.Nlist, natoms },
                attrs, (Global, new[] { -1, -1 })).Outputs[0];
            var pv = _g.AddNode(_g.UniqueName("ProdVirial" + kind), "ProdVirial" + kind, new[] { netDerivReshape, descriptor.RmatDeriv, descriptor.Rij, descriptor.Nlist, natoms },
                attrs, (Global, new[] { -1, 9 }), (Global, new[] { -1, -1 }));
            return (force, pv.Outputs[0], pv.Outputs[1]);
        }

        // ------------------------------------------------------------------ descriptors

        private sealed record DescriptorTensors(TfTensor Output, TfTensor Rmat, TfTensor RmatDeriv, TfTensor Rij, TfTensor Nlist);

        /// <summary>descrpt_attr/*: rcut, ntypes, ndescrpt, sel (+ original_sel for se_a), t_avg, t_std.</summary>
        private (TfTensor Avg, TfTensor Std, TfNode Sel, TfNode? OriginalSel) DescriptorAttributes(bool originalSel)
        {
            using (_g.Scope("descrpt_attr" + _sfx))
            {
                if (!_hybrid)
                {
                    _g.Const(TensorEncoder.ScalarDouble(_o.Rcut), "rcut");
                    _g.Const(TensorEncoder.ScalarInt32(_ntypes), "ntypes");
                }

                if (!_typeEmbedding && !_hybrid)
                {
                    _g.Const(TensorEncoder.ScalarInt32(_ndescrpt), "ndescrpt");
                }

                var sel = _g.ConstInts(_sel, "sel").Node;
                var orig = originalSel ? _g.ConstInts(_sel, "original_sel").Node : null;
                var (avg, std) = Statistics();
                var tAvg = _g.Variable($"descrpt_attr{_sfx}/t_avg", TensorEncoder.Doubles(avg, _ntypes, _ndescrpt));
                var tStd = _g.Variable($"descrpt_attr{_sfx}/t_std", TensorEncoder.Doubles(std, _ntypes, _ndescrpt));
                return (tAvg, tStd, sel, orig);
            }
        }

        /// <summary>
        /// davg/dstd per centre type, tiled over every neighbour slot as deepmd-kit's statistics are: the radial
        /// component has mean ≈ 0.05 and std ≈ 0.13, the x/y/z components mean 0 and std ≈ 0.08 (water-like).
        /// </summary>
        private (double[] Avg, double[] Std) Statistics()
        {
            var avg = new double[_ntypes * _ndescrpt];
            var std = new double[_ntypes * _ndescrpt];
            int comps = _descriptor == "se_e2_r" ? 1 : 4;
            for (int t = 0; t < _ntypes; t++)
            {
                var rng = new SampleRandom(_o.Seed, $"descrpt_attr{_sfx}/stat_" + t.ToString(CultureInfo.InvariantCulture));
                double a = rng.Uniform(0.04, 0.07), ss = rng.Uniform(0.11, 0.15), sx = rng.Uniform(0.07, 0.09);
                for (int k = 0; k < _nnei; k++)
                {
                    for (int c = 0; c < comps; c++)
                    {
                        int idx = (t * _ndescrpt) + (k * comps) + c;
                        avg[idx] = c == 0 ? a : 0.0;
                        std[idx] = c == 0 ? ss : sx;
                    }
                }
            }

            return (avg, std);
        }

        private TfNode EnvMatA(TfTensor coord, TfTensor atype, TfTensor natoms, TfTensor box, TfTensor mesh, TfTensor avg, TfTensor std) =>
            _g.AddNode(_g.UniqueName("ProdEnvMatA"), "ProdEnvMatA", new[] { coord, atype, natoms, box, mesh, avg, std }, new[]
            {
                GraphBuilder.A("T", Global), GraphBuilder.A("rcut_a", -1.0f), GraphBuilder.A("rcut_r", (float)_o.Rcut),
                GraphBuilder.A("rcut_r_smth", (float)_o.RcutSmth), GraphBuilder.A("sel_a", _sel), GraphBuilder.A("sel_r", new int[_ntypes]),
            }, (Global, new[] { -1, -1 }), (Global, new[] { -1, -1 }), (Global, new[] { -1, -1 }), (DataType.DtInt32, new[] { -1, -1 }));

        private DescriptorTensors Identities(TfTensor descrpt, TfNode env)
        {
            var reshape = _g.Reshape(descrpt, new[] { -1, _ndescrpt });
            return new DescriptorTensors(null!, _g.Identity(reshape, "o_rmat" + _sfx), _g.Identity(env.Outputs[1], "o_rmat_deriv" + _sfx),
                _g.Identity(env.Outputs[2], "o_rij" + _sfx), _g.Identity(env.Outputs[3], "o_nlist" + _sfx));
        }

        // The descriptor's input reshapes: coord [-1, 3·nall], box [-1, 9], atype [-1, nall]. se_a's coord reshape
        // runs after its sel attributes (a control dependency in deepmd-kit's graph).
        private (TfTensor Coord, TfTensor Box, TfTensor Atype) DescriptorInputs(TfTensor coord_, TfTensor atype_, TfTensor natoms, TfTensor box_,
            params TfNode[] after)
        {
            TfTensor coord;
            using (_g.ControlDependencies(after))
            {
                coord = _g.Reshape(coord_, new object[] { -1, _g.Mul(_g.Item(natoms, 1), 3) });
            }

            return (coord, _g.Reshape(box_, new[] { -1, 9 }), _g.Reshape(atype_, new object[] { -1, _g.Item(natoms, 1) }));
        }

        private DescriptorTensors BuildSeA(TfTensor coord_, TfTensor atype_, TfTensor natoms, TfTensor box_, TfTensor mesh)
        {
            var (avg, std, sel, orig) = DescriptorAttributes(originalSel: true);
            var (coord, box, atype) = DescriptorInputs(coord_, atype_, natoms, box_, sel, orig!);
            var env = EnvMatA(coord, atype, natoms, box, mesh, avg, std);

            // nei_type_vec (used only with type embedding; dead here, but it takes its names).
            var nlistT = _g.Reshape(_g.Add(env.Outputs[3], 1), new[] { -1 });
            var atypeT = _g.Concat(new object[] { new[] { _ntypes }, _g.Reshape(atype, new[] { -1 }) }, 0);
            _g.EmbeddingLookup(atypeT, nlistT);

            var d = Identities(env.Outputs[0], env);
            return d with { Output = PassFilterSeA(d.Rmat, atype, natoms) };
        }

        private DescriptorTensors BuildSeR(TfTensor coord_, TfTensor atype_, TfTensor natoms, TfTensor box_, TfTensor mesh)
        {
            var (avg, std, _, _) = DescriptorAttributes(originalSel: false);
            var (coord, box, atype) = DescriptorInputs(coord_, atype_, natoms, box_);
            var env = _g.AddNode(_g.UniqueName("ProdEnvMatR"), "ProdEnvMatR", new[] { coord, atype, natoms, box, mesh, avg, std }, new[]
            {
                GraphBuilder.A("T", Global), GraphBuilder.A("rcut", (float)_o.Rcut), GraphBuilder.A("rcut_smth", (float)_o.RcutSmth), GraphBuilder.A("sel", _sel),
            }, (Global, new[] { -1, -1 }), (Global, new[] { -1, -1 }), (Global, new[] { -1, -1 }), (DataType.DtInt32, new[] { -1, -1 }));
            var d = Identities(env.Outputs[0], env);
            return d with { Output = PassFilterSeR(d.Rmat, atype, natoms) };
        }

        private DescriptorTensors BuildSeT(TfTensor coord_, TfTensor atype_, TfTensor natoms, TfTensor box_, TfTensor mesh)
        {
            var (avg, std, _, _) = DescriptorAttributes(originalSel: false);
            var (coord, box, atype) = DescriptorInputs(coord_, atype_, natoms, box_);
            var env = EnvMatA(coord, atype, natoms, box, mesh, avg, std);
            var d = Identities(env.Outputs[0], env);

            // se_t.py _pass_filter: one block for all centres.
            var inputs = _g.Reshape(d.Rmat, new object[] { -1, _g.Item(natoms, 0), _ndescrpt });
            var inputsI = _g.Reshape(inputs, new[] { -1, _ndescrpt });
            var layer = CastBack(FilterSeT(CastIn(inputsI)));
            layer = _g.Reshape(layer, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 0), _dimOut });
            return d with { Output = _g.Concat(new object[] { layer }, 1) };
        }

        /// <summary>
        /// deepmd-kit's TypeEmbedNet: the one-hot code of every type through one linear layer (a bias in 2.2's layout, none
        /// in 3.x's), plus a zero row for the padding type, as t_typeebd [ntypes + 1, dim].
        /// </summary>
        private TfTensor TypeEmbedding()
        {
            int dim = _o.TypeEmbeddingDim;
            var types = _g.ConstInts(Enumerable.Range(0, _ntypes).ToArray(), "Const");
            string n = _g.UniqueName("one_hot");
            TfTensor on, off, depth;
            using (_g.EnterAbsolute(n))
            {
                on = _g.ConstScalar(1.0, DataType.DtFloat, "on_value");
                off = _g.ConstScalar(0.0, DataType.DtFloat, "off_value");
                depth = _g.ConstInt(_ntypes, "depth");
            }

            var oneHot = _g.AddNode(n, "OneHot", new[] { types, depth, on, off },
                new[] { GraphBuilder.A("T", DataType.DtFloat), GraphBuilder.A("TI", DataType.DtInt32), GraphBuilder.A("axis", -1L) },
                (DataType.DtFloat, new[] { _ntypes, _ntypes })).Outputs[0];
            var codes = _g.Reshape(_g.Cast(oneHot, Global), new[] { _ntypes, -1 });
            TfTensor embedding;
            using (_g.Scope("type_embed_net"))
            {
                var w = _g.Variable("type_embed_net/matrix_1", Weights("type_embed_net/matrix_1", _ntypes, dim, 1.0 / Math.Sqrt(_ntypes + dim)));
                embedding = _g.MatMul(codes, w);
                if (_o.TypeEmbeddingBias)
                {
                    embedding = _g.BiasAdd(embedding, _g.Variable("type_embed_net/bias_1", Bias("type_embed_net/bias_1", dim, 0.0, 1.0)));
                }

                // se_a_ebd_v2's type_embedding section has deepmd-kit's default activation; se_atten's built-in one has none.
                if (_descriptor == "se_a_ebd_v2")
                {
                    embedding = _g.Unary("Tanh", embedding);
                }

                embedding = _g.Reshape(embedding, new[] { -1, dim });
            }

            embedding = _g.Reshape(embedding, new[] { -1, dim });
            var padding = _g.Cast(_g.Const(TensorEncoder.Floats(new float[dim], 1, dim), "zeros"), Global);
            return _g.Identity(_g.Concat(new object[] { embedding, padding }, 0), "t_typeebd");
        }

        /// <summary>
        /// se_atten.py (attn_layer 0, strip type embedding) and se_atten_v2: ProdEnvMatAMix over all types, one geometric net
        /// on s(r), multiplied element-wise by (1 + the two-side type net of (neighbour, centre)), the type net gathered by
        /// centre·(ntypes + 1) + neighbour; se_atten_v2 also multiplies the type net by each neighbour's smooth switch.
        /// </summary>
        private DescriptorTensors BuildSeAtten(TfTensor coord_, TfTensor atype_, TfTensor natoms, TfTensor box_, TfTensor mesh, TfTensor typeEmbedding)
        {
            var (avg, std, sel, orig) = DescriptorAttributes(originalSel: true);
            var (coord, box, atype) = DescriptorInputs(coord_, atype_, natoms, box_, sel, orig!);
            var env = _g.AddNode(_g.UniqueName("ProdEnvMatAMix"), "ProdEnvMatAMix", new[] { coord, atype, natoms, box, mesh, avg, std }, new[]
            {
                GraphBuilder.A("T", Global), GraphBuilder.A("rcut_a", -1.0f), GraphBuilder.A("rcut_r", (float)_o.Rcut),
                GraphBuilder.A("rcut_r_smth", (float)_o.RcutSmth), GraphBuilder.A("sel_a", new[] { _nnei }), GraphBuilder.A("sel_r", new[] { 0 }),
            }, (Global, new[] { -1, -1 }), (Global, new[] { -1, -1 }), (Global, new[] { -1, -1 }), (DataType.DtInt32, new[] { -1, -1 }),
                (DataType.DtInt32, new[] { -1, -1 }), (DataType.DtBool, new[] { -1, -1 }));
            var neighbourTypes = _g.Reshape(env.Outputs[4], new[] { -1 });
            var d = Identities(env.Outputs[0], env);
            var centres = _g.Reshape(_g.Slice(ClipByValue(atype, 0, _ntypes - 1), new[] { 0, 0 }, new object[] { -1, _g.Item(natoms, 0) }), new[] { -1 });
            var smooth = _descriptor == "se_atten_v2" ? SmoothSwitch(d.Rmat, avg, std, centres, natoms) : null;

            // _pass_filter with one block for all neighbour types.
            var inputs = _g.Reshape(d.Rmat, new object[] { -1, _g.Item(natoms, 0), _ndescrpt });
            var inputsI = _g.Slice(_g.Reshape(inputs, new[] { -1, _ndescrpt }), new[] { 0, 0 }, new[] { -1, _ndescrpt });
            var natom = _g.Item(_g.Shape(inputsI), 0);
            var xyz = _g.Reshape(_g.Slice(_g.Reshape(inputsI, new[] { -1, 4 }), new[] { 0, 0 }, new[] { -1, 1 }), new[] { -1, 1 });
            TfTensor g;
            const string scope = "filter_type_all";
            using (_g.Scope(scope))
            {
                g = EmbeddingNet(CastIn(xyz), scope, string.Empty);
                var index = _g.Reshape(PairIndex(centres, neighbourTypes), new[] { -1 });
                var typeNet = EmbeddingLookup(TwoSideTypeNet(typeEmbedding, scope), index);
                if (smooth is not null)
                {
                    typeNet = _g.Mul(typeNet, _g.Reshape(smooth, new[] { -1, 1 }));
                }

                g = _g.Add(_g.Mul(g, typeNet), g);
            }

            var result = Contract(g, inputsI, natom, _nnei);
            result = _g.Reshape(result, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 0), _dimOut });
            return d with { Output = _g.Concat(new object[] { result }, 1) };
        }

        /// <summary>
        /// se_a_ebd_v2 (se_e2_a with a strip type embedding): one shared geometric net over every neighbour slot, multiplied
        /// by (1 + the two-side type net), the type of each slot taken from the neighbour list (padding = ntypes).
        /// </summary>
        private DescriptorTensors BuildSeAEbdV2(TfTensor coord_, TfTensor atype_, TfTensor natoms, TfTensor box_, TfTensor mesh, TfTensor typeEmbedding)
        {
            var (avg, std, sel, orig) = DescriptorAttributes(originalSel: true);
            var (coord, box, atype) = DescriptorInputs(coord_, atype_, natoms, box_, sel, orig!);
            var env = EnvMatA(coord, atype, natoms, box, mesh, avg, std);
            var nlistT = _g.Reshape(_g.Add(env.Outputs[3], 1), new[] { -1 });
            var atypeT = _g.Concat(new object[] { new[] { _ntypes }, _g.Reshape(atype, new[] { -1 }) }, 0);
            var neighbourTypes = _g.EmbeddingLookup(atypeT, nlistT);
            var d = Identities(env.Outputs[0], env);
            var inputs = _g.Reshape(d.Rmat, new object[] { -1, _g.Item(natoms, 0), _ndescrpt });
            var inputsR = _g.Reshape(inputs, new[] { -1, _ndescrpt });
            var centres = _g.Reshape(_g.Slice(atype, new[] { 0, 0 }, new object[] { -1, _g.Item(natoms, 0) }), new[] { -1 });
            const string scope = "filter_type_all";
            TfTensor result;
            using (_g.Scope(scope))
            {
                var inputsI = _g.Slice(inputsR, new[] { 0, 0 }, new[] { -1, _ndescrpt });
                var natom = _g.Item(_g.Shape(inputsI), 0);
                var xyz = _g.Reshape(_g.Slice(_g.Reshape(inputsI, new[] { -1, 4 }), new[] { 0, 0 }, new[] { -1, 1 }), new[] { -1, 1 });
                var index = PairIndex(centres, neighbourTypes);
                _g.Reshape(index, new[] { -1 }); // deepmd-kit's flattened index, unused by this descriptor; it takes a name
                var typeNet = _g.Reshape(EmbeddingLookup(TwoSideTypeNet(typeEmbedding, scope), index), new[] { -1, _last });
                var g = EmbeddingNet(CastIn(xyz), scope, string.Empty);
                g = _g.Add(_g.Mul(g, typeNet), g);
                result = Contract(g, inputsI, natom, _nnei);
            }

            result = _g.Reshape(result, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 0), _dimOut });
            return d with { Output = _g.Concat(new object[] { result }, 1) };
        }

        // centre·(ntypes + 1) + neighbour type, [nloc, nnei]: the row of the two-side type net of each neighbour slot.
        private TfTensor PairIndex(TfTensor centres, TfTensor neighbourTypes)
        {
            var centre = _g.Tile(_g.Mul(_g.Reshape(centres, new[] { -1, 1 }), _ntypes + 1), new[] { 1, _nnei });
            return _g.Add(centre, _g.Reshape(neighbourTypes, new[] { -1, _nnei }));
        }

        // The strip net on concat(embedding of neighbour j, embedding of centre i) for every pair, row i·(ntypes + 1) + j.
        private TfTensor TwoSideTypeNet(TfTensor typeEmbedding, string scope)
        {
            int n = _ntypes + 1, dim = _o.TypeEmbeddingDim;
            var neighbour = _g.Tile(_g.Reshape(typeEmbedding, new[] { 1, n, -1 }), new[] { n, 1, 1 });
            var centre = _g.Tile(_g.Reshape(typeEmbedding, new[] { n, 1, -1 }), new[] { 1, n, 1 });
            var pairs = _g.Reshape(_g.Concat(new object[] { neighbour, centre }, -1), new[] { -1, 2 * dim });
            return EmbeddingNet(CastIn(pairs), scope, "_two_side_ebd", 2 * dim);
        }

        private TfTensor EmbeddingLookup(TfTensor parameters, TfTensor ids) => _g.EmbeddingLookup(parameters, ids);

        // (1/nnei)·emᵀG, then its product with the first axis_neuron columns: the descriptor of se_a's _filter.
        private TfTensor Contract(TfTensor g, TfTensor inputsI, TfTensor natom, int nnei)
        {
            var gr = CastBack(_g.Reshape(g, new[] { -1, nnei, _last }));
            var xyzScatter = _g.MatMul(_g.Reshape(inputsI, new object[] { natom, nnei, 4 }), gr, transposeA: true);
            xyzScatter = _g.Div(xyzScatter, (double)nnei);
            var axis = _g.Slice(xyzScatter, new[] { 0, 0, 0 }, new[] { -1, -1, _o.AxisNeuron });
            return _g.Reshape(_g.MatMul(xyzScatter, axis, transposeA: true), new[] { -1, _dimOut });
        }

        /// <summary>
        /// se_atten_v2's smooth weight of each neighbour, recomputed from the environment matrix: s = rmat·std + avg (the
        /// radial part before normalisation), then clip(1 − (1 − s/2)³, 0, 1).
        /// </summary>
        private TfTensor SmoothSwitch(TfTensor rmat, TfTensor avg, TfTensor std, TfTensor centres, TfTensor natoms)
        {
            TfTensor Radial(TfTensor stat) =>
                _g.Reshape(_g.Slice(_g.Reshape(stat, new[] { _ntypes, -1, 4 }), new[] { 0, 0, 0 }, new[] { -1, 1, 1 }), new[] { _ntypes, 1 });
            var avgR = Radial(avg);
            var stdR = Radial(std);
            var avgC = _g.Reshape(_g.EmbeddingLookup(avgR, centres), new object[] { -1, _g.Item(natoms, 0), 1 });
            var stdC = _g.Reshape(_g.EmbeddingLookup(stdR, centres), new object[] { -1, _g.Item(natoms, 0), 1 });
            var s = _g.Reshape(_g.Slice(_g.Reshape(rmat, new[] { -1, 4 }), new[] { 0, 0 }, new[] { -1, 1 }), new object[] { -1, _g.Item(natoms, 0), _nnei });
            s = _g.Add(_g.Mul(s, stdC), avgC);
            var u = _g.Sub(1.0, _g.Mul(0.5, s));
            var sw = _g.Add(_g.Mul(_g.Mul(_g.Unary("Neg", u), u), u), 1.0);
            return ClipByValue(sw, 0.0, 1.0);
        }

        // cast_precision: float tensors of global precision are cast to the net precision on entry and back on exit.
        private TfTensor CastIn(TfTensor t) => t.DType == Global ? _g.Cast(t, _prec) : t;

        private TfTensor CastBack(TfTensor t) => t.DType == _prec ? _g.Cast(t, Global) : t;

        private TfTensor PassFilterSeA(TfTensor rmat, TfTensor atype, TfTensor natoms)
        {
            var inputs = _g.Reshape(rmat, new object[] { -1, _g.Item(natoms, 0), _ndescrpt });
            var outputs = new List<object>();
            var qmats = new List<object>();
            int rot = _last * 3;
            if (!_o.TypeOneSide)
            {
                object start = 0;
                for (int i = 0; i < _ntypes; i++)
                {
                    _ct.ThrowIfCancellationRequested();
                    var n = _g.Item(natoms, 2 + i);
                    var inputsI = _g.Slice(inputs, new object[] { 0, start, 0 }, new object[] { -1, n, -1 });
                    inputsI = _g.Reshape(inputsI, new[] { -1, _ndescrpt });
                    var (layer, qmat) = FilterSeA(CastIn(inputsI), i, "filter_type_" + i.ToString(CultureInfo.InvariantCulture) + _sfx, natoms);
                    layer = CastBack(layer);
                    qmat = CastBack(qmat);
                    layer = _g.Reshape(layer, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 2 + i), _dimOut });
                    qmat = _g.Reshape(qmat, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 2 + i), rot });
                    outputs.Add(layer);
                    qmats.Add(qmat);
                    start = _g.Add(start, _g.Item(natoms, 2 + i));
                }
            }
            else
            {
                var inputsI = _g.Reshape(inputs, new[] { -1, _ndescrpt });
                var atypeNloc = _g.Reshape(_g.Slice(atype, new[] { 0, 0 }, new object[] { -1, _g.Item(natoms, 0) }), new[] { -1 });
                if (_o.ExcludeTypes.Count > 0)
                {
                    var mask = TypeExcludeMask(atypeNloc, _g.Item(_g.Shape(inputsI), 0), 4);
                    inputsI = _g.Mul(inputsI, mask);
                }

                var (layer, qmat) = FilterSeA(CastIn(inputsI), -1, "filter_type_all" + _sfx, natoms);
                layer = CastBack(layer);
                qmat = CastBack(qmat);
                layer = _g.Reshape(layer, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 0), _dimOut });
                qmat = _g.Reshape(qmat, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 0), rot });
                outputs.Add(layer);
                qmats.Add(qmat);
            }

            var output = _g.Concat(outputs, 1);
            _g.Concat(qmats, 1);
            return output;
        }

        private TfTensor PassFilterSeR(TfTensor rmat, TfTensor atype, TfTensor natoms)
        {
            var inputs = _g.Reshape(rmat, new object[] { -1, _g.Item(natoms, 0), _ndescrpt });
            var outputs = new List<object>();
            if (!_o.TypeOneSide)
            {
                object start = 0;
                for (int i = 0; i < _ntypes; i++)
                {
                    _ct.ThrowIfCancellationRequested();
                    var n = _g.Item(natoms, 2 + i);
                    var inputsI = _g.Slice(inputs, new object[] { 0, start, 0 }, new object[] { -1, n, -1 });
                    inputsI = _g.Reshape(inputsI, new[] { -1, _ndescrpt });
                    var layer = CastBack(FilterSeR(CastIn(inputsI), i, "filter_type_" + i.ToString(CultureInfo.InvariantCulture) + _sfx));
                    layer = _g.Reshape(layer, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 2 + i), _dimOut });
                    outputs.Add(layer);
                    start = _g.Add(start, _g.Item(natoms, 2 + i));
                }
            }
            else
            {
                var inputsI = _g.Reshape(inputs, new[] { -1, _ndescrpt });
                if (_o.ExcludeTypes.Count > 0)
                {
                    var atypeNloc = _g.Reshape(_g.Slice(atype, new[] { 0, 0 }, new object[] { -1, _g.Item(natoms, 0) }), new[] { -1 });
                    var mask = TypeExcludeMask(atypeNloc, _g.Item(_g.Shape(inputsI), 0), 1);
                    inputsI = _g.Mul(inputsI, mask);
                }

                var layer = CastBack(FilterSeR(CastIn(inputsI), -1, "filter_type_all" + _sfx));
                layer = _g.Reshape(layer, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 0), _dimOut });
                outputs.Add(layer);
            }

            return _g.Concat(outputs, 1);
        }

        /// <summary>
        /// descriptor.py build_type_exclude_mask: a [ntypes²] table of 0/1 looked up with
        /// centre·ntypes + neighbour-type-of-slot, so excluded entries of the env matrix become exactly 0.
        /// </summary>
        private TfTensor TypeExcludeMask(TfTensor atype, TfTensor shape0, int perNeighbour)
        {
            var table = new double[_ntypes * _ntypes];
            for (int j = 0; j < _ntypes; j++)
            {
                for (int i = 0; i < _ntypes; i++)
                {
                    table[(j * _ntypes) + i] = _o.IsExcluded(i, j) ? 0.0 : 1.0;
                }
            }

            var typeMask = _g.Reshape(_g.Const(TensorEncoder.Doubles(table, _ntypes, _ntypes)), new[] { -1 });
            var atypeExpand = _g.Reshape(atype, new[] { -1, 1 });
            var idxI = _g.Tile(_g.Mul(atypeExpand, _ntypes), new[] { 1, _ndescrpt });
            var slotType = new int[_ndescrpt];
            for (int t = 0, k = 0; t < _ntypes; t++)
            {
                for (int s = 0; s < _sel[t] * perNeighbour; s++)
                {
                    slotType[k++] = t;
                }
            }

            var atypeDescrpt = _g.Reshape(_g.ConstInts(slotType), new[] { 1, _ndescrpt });
            var idxJ = _g.Tile(atypeDescrpt, new object[] { shape0, 1 });
            var idx = _g.Reshape(_g.Add(idxI, idxJ), new[] { -1 });
            var mask = _g.EmbeddingLookup(typeMask, idx);
            return _g.Reshape(mask, new[] { -1, _ndescrpt });
        }

        /// <summary>se_a.py _filter for one centre type (or all, type_one_side): sum over neighbour types of (R̃ᵀ G), then GᵀR R̃ᵀG<.</summary>
        private (TfTensor Result, TfTensor Qmat) FilterSeA(TfTensor inputs, int typeInput, string name, TfTensor natoms)
        {
            _g.Item(_g.Shape(_g.Reshape(inputs, new object[] { -1, _g.Item(natoms, 0), _ndescrpt })), 0); // nframes
            int axis = _o.AxisNeuron;
            bool allExcluded = typeInput >= 0 && Enumerable.Range(0, _ntypes).All(j => _o.IsExcluded(typeInput, j));
            if (allExcluded)
            {
                var natom = _g.Item(_g.Shape(inputs), 0);
                var r = _g.Cast(_g.Fill(new object[] { natom, axis, _last }, 0.0, DataType.DtFloat), Global);
                var q = _g.Cast(_g.Fill(new object[] { natom, _last, 3 }, 0.0, DataType.DtFloat), Global);
                return (r, q);
            }

            using (_g.Scope(name))
            {
                var rets = new List<TfTensor>();
                int start = 0;
                for (int j = 0; j < _ntypes; j++)
                {
                    bool excluded = typeInput >= 0 && _o.IsExcluded(typeInput, j);
                    var ret = FilterLowerSeA(j, start, _sel[j], inputs, excluded, name);
                    if (!excluded)
                    {
                        rets.Add(ret);
                    }

                    start += _sel[j];
                }

                var x1 = _g.AddN(rets);
                x1 = _g.Div(x1, (double)_nnei);
                var x2 = _g.Slice(x1, new[] { 0, 0, 0 }, new[] { -1, -1, axis });
                var qmat = _g.Slice(x1, new[] { 0, 1, 0 }, new[] { -1, 3, -1 });
                qmat = Transpose(qmat, new[] { 0, 2, 1 });
                var result = _g.MatMul(x1, x2, transposeA: true);
                result = _g.Reshape(result, new[] { -1, axis * _last });
                return (result, qmat);
            }
        }

        private TfTensor Transpose(TfTensor x, int[] perm)
        {
            string n = _g.UniqueName("transpose");
            TfTensor p;
            using (_g.EnterAbsolute(n))
            {
                p = _g.ConstInts(perm, "perm");
            }

            int[]? shape = x.Shape is { } s ? perm.Select(k => s[k]).ToArray() : null;
            return _g.AddNode(n, "Transpose", new[] { x, p }, new[] { GraphBuilder.A("T", x.DType), GraphBuilder.A("Tperm", DataType.DtInt32) }, (x.DType, shape)).Outputs[0];
        }

        /// <summary>se_a.py _filter_lower: slice the neighbour type's block, run its net on s(r), contract with the env matrix.</summary>
        private TfTensor FilterLowerSeA(int j, int start, int count, TfTensor inputs, bool excluded, string scope)
        {
            var inputsI = _g.Slice(inputs, new[] { 0, start * 4 }, new[] { -1, count * 4 });
            var natom = _g.Item(_g.Shape(inputsI), 0);
            var inputsReshape = _g.Reshape(inputsI, new[] { -1, 4 });
            var xyz = _g.Reshape(_g.Slice(inputsReshape, new[] { 0, 0 }, new[] { -1, 1 }), new[] { -1, 1 });
            if (excluded)
            {
                return _g.Cast(_g.Fill(new object[] { natom, 4, _last }, 0.0, DataType.DtFloat), _prec);
            }

            xyz = EmbeddingNet(xyz, scope, "_" + j.ToString(CultureInfo.InvariantCulture));
            xyz = _g.Reshape(xyz, new[] { -1, count, _last });
            return _g.MatMul(_g.Reshape(inputsI, new object[] { natom, count, 4 }), xyz, transposeA: true);
        }

        /// <summary>se_r.py _filter_r: per neighbour type the net of s(r), concatenated, averaged over slots, × 1/5.</summary>
        private TfTensor FilterSeR(TfTensor inputs, int typeInput, string name)
        {
            using (_g.Scope(name))
            {
                int start = 0;
                var parts = new List<object>();
                for (int j = 0; j < _ntypes; j++)
                {
                    var inputsI = _g.Slice(inputs, new[] { 0, start }, new[] { -1, _sel[j] });
                    start += _sel[j];
                    var xyz = _g.Reshape(inputsI, new[] { -1, 1 });
                    if (!(typeInput >= 0 && _o.IsExcluded(typeInput, j)))
                    {
                        xyz = EmbeddingNet(xyz, name, "_" + j.ToString(CultureInfo.InvariantCulture));
                        xyz = _g.Reshape(xyz, new[] { -1, _sel[j], _last });
                    }
                    else
                    {
                        var natom = _g.Item(_g.Shape(inputs), 0);
                        xyz = _g.Cast(_g.Fill(new object[] { natom, _sel[j], _last }, 0.0, DataType.DtFloat), _prec);
                    }

                    parts.Add(xyz);
                }

                var all = _g.Concat(parts, 1);
                return _g.Mul(_g.Reduce("Mean", all, 1), 1.0 / 5.0);
            }
        }

        /// <summary>
        /// se_t.py _filter: for each type pair i ≤ j, env_ij = einsum("ijm,ikm->ijk") of the x/y/z parts, its net, and
        /// einsum("ijk,ijkm->im") of env_ij with the net output, × 1/(sel_i·sel_j), summed. The two einsums are written as
        /// the Reshape/BatchMatMulV2 graph TF 1.x's einsum produced (named einsum, einsum_1, ...).
        /// </summary>
        private TfTensor FilterSeT(TfTensor inputs)
        {
            string scope = "filter_type_all" + _sfx;
            using (_g.Scope(scope))
            {
                int startI = 0;
                TfTensor? result = null;
                for (int i = 0; i < _ntypes; i++)
                {
                    var inputsI = _g.Slice(inputs, new[] { 0, startI * 4 }, new[] { -1, _sel[i] * 4 });
                    int startJ = startI;
                    startI += _sel[i];
                    var envI = _g.Reshape(inputsI, new[] { -1, _sel[i], 4 });
                    envI = _g.Slice(envI, new[] { 0, 0, 1 }, new[] { -1, -1, -1 });
                    for (int j = i; j < _ntypes; j++)
                    {
                        _ct.ThrowIfCancellationRequested();
                        var inputsJ = _g.Slice(inputs, new[] { 0, startJ * 4 }, new[] { -1, _sel[j] * 4 });
                        startJ += _sel[j];
                        var envJ = _g.Reshape(inputsJ, new[] { -1, _sel[j], 4 });
                        envJ = _g.Slice(envJ, new[] { 0, 0, 1 }, new[] { -1, -1, -1 });
                        TfTensor envIJ;
                        using (_g.Scope("einsum"))
                        {
                            envIJ = _g.MatMul(envI, envJ, transposeB: true);
                        }

                        var ebd = _g.Reshape(envIJ, new[] { -1, 1 });
                        ebd = EmbeddingNet(ebd, scope, string.Format(CultureInfo.InvariantCulture, "_{0}_{1}", i, j));
                        ebd = _g.Reshape(ebd, new[] { -1, _sel[i], _sel[j], _last });
                        TfTensor res;
                        using (_g.Scope("einsum"))
                        {
                            var a = _g.Reshape(envIJ, new[] { -1, 1, _sel[i] * _sel[j] });
                            var b = _g.Reshape(ebd, new[] { -1, _sel[i] * _sel[j], _last });
                            res = _g.Reshape(_g.MatMul(a, b), new[] { -1, _last });
                        }

                        res = _g.Mul(res, 1.0 / _sel[i] / _sel[j]);
                        result = result is null ? res : _g.Add(result, res);
                    }
                }

                return result!;
            }
        }

        /// <summary>network.py embedding_net: layer l is φ(x·W_l + b_l), plus x (equal width) or concat(x, x) (doubled width).</summary>
        private TfTensor EmbeddingNet(TfTensor xx, string scope, string suffix, int inputWidth = 1)
        {
            int previous = inputWidth;
            for (int l = 1; l <= _o.Neuron.Count; l++)
            {
                int width = _o.Neuron[l - 1];
                string lk = l.ToString(CultureInfo.InvariantCulture);
                string wName = $"{scope}/matrix_{lk}{suffix}", bName = $"{scope}/bias_{lk}{suffix}";
                var w = _g.Variable(wName, Weights(wName, previous, width, 1.0 / Math.Sqrt(previous + width)));
                var b = _g.Variable(bName, Bias(bName, width, 0.0, 1.0));
                var hidden = _g.Reshape(Activation(_g.BiasAdd(_g.MatMul(xx, w), b)), new[] { -1, width });
                if (width == previous)
                {
                    xx = _g.Add(xx, hidden);
                }
                else if (width == 2 * previous)
                {
                    xx = _g.Add(_g.Concat(new object[] { xx, xx }, 1), hidden);
                }
                else
                {
                    xx = hidden;
                }

                previous = width;
            }

            return xx;
        }

        private TfTensor Activation(TfTensor x) => _activation switch
        {
            "tanh" => _g.Unary("Tanh", x),
            "relu" => _g.Unary("Relu", x),
            "relu6" => _g.Unary("Relu6", x),
            "softplus" => _g.Unary("Softplus", x),
            "sigmoid" => _g.Unary("Sigmoid", x),
            "gelu" => _g.Unary("GeluCustom", x),
            "gelu_tf" => GeluTf(x),
            _ => throw new InvalidOperationException("unknown activation " + _activation),
        };

        /// <summary>
        /// tf.nn.gelu(x, approximate=True): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in TF's op order; the
        /// 0.044715 literal is a float32 constant cast to the input dtype, as TF's math_ops.cast does.
        /// </summary>
        private TfTensor GeluTf(TfTensor x)
        {
            using (_g.Scope("Gelu"))
            {
                TfTensor coeff;
                string castName = _g.UniqueName("Cast");
                using (_g.EnterAbsolute(castName))
                {
                    coeff = _g.ConstScalar(0.044715, DataType.DtFloat, "x");
                }

                if (x.DType != DataType.DtFloat)
                {
                    coeff = _g.AddNode(castName, "Cast", new[] { coeff }, new[] { GraphBuilder.A("DstT", x.DType), GraphBuilder.A("SrcT", DataType.DtFloat), GraphBuilder.A("Truncate", false) },
                        (x.DType, Array.Empty<int>())).Outputs[0];
                }

                var half = _g.Mul(0.5, x);
                var cube = _g.GenBinary("Pow", x, 3.0);
                var inner = _g.Add(x, _g.Mul(coeff, cube));
                var t = _g.Unary("Tanh", _g.Mul(0.7978845608028654, inner));
                return _g.Mul(half, _g.Add(1.0, t));
            }
        }

        private TensorProto Weights(string name, int rows, int cols, double stddev)
        {
            var rng = new SampleRandom(_o.Seed, name);
            return GraphBuilder.Values(rng.Normals(rows * cols, 0.0, stddev), _prec, rows, cols);
        }

        private TensorProto Bias(string name, int n, double mean, double stddev)
        {
            var rng = new SampleRandom(_o.Seed, name);
            return GraphBuilder.Values(rng.Normals(n, mean, stddev), _prec, n);
        }

        // ------------------------------------------------------------------ fitting net (fit/ener.py)

        private TfTensor BuildFitting(TfTensor descriptor, TfTensor natoms, TfTensor atype_, TfTensor? typeEmbedding)
        {
            TfTensor tBias;
            using (_g.Scope("fitting_attr"))
            {
                _g.Const(TensorEncoder.ScalarInt32(0), "dfparam");
                _g.Const(TensorEncoder.ScalarInt32(0), "daparam");
                var rng = new SampleRandom(_o.Seed, "fitting_attr/t_bias_atom_e");
                var bias = Enumerable.Range(0, _ntypes).Select(_ => rng.Uniform(-2.0, -0.5)).ToArray();
                tBias = _g.Variable("fitting_attr/t_bias_atom_e", TensorEncoder.Doubles(bias, _ntypes));
            }

            var inputs = _g.Reshape(descriptor, new object[] { -1, _g.Item(natoms, 0), _dimOut });
            var atypeNall = _g.Reshape(atype_, new object[] { -1, _g.Item(natoms, 1) });
            var atypeNloc = _g.Slice(atypeNall, new[] { 0, 0 }, new object[] { -1, _g.Item(natoms, 0) });
            var atypeFilter = _g.Cast(_g.GenBinary("GreaterEqual", atypeNloc, 0), Global);
            atypeNloc = _g.Reshape(atypeNloc, new[] { -1 });
            atypeNloc = ClipByValue(atypeNloc, 0, _ntypes - 1);
            int width = _dimOut;
            if (typeEmbedding is not null)
            {
                // ener.py with a type embedding: each atom's embedding is appended to its descriptor.
                var atomEmbedding = _g.EmbeddingLookup(typeEmbedding, atypeNloc);
                width = _dimOut + _o.TypeEmbeddingDim;
                inputs = _g.Reshape(_g.Concat(new object[] { _g.Reshape(inputs, new[] { -1, _dimOut }), atomEmbedding }, 1),
                    new object[] { -1, _g.Item(natoms, 0), width });
            }

            object start = 0;
            var outs = new List<object>();
            for (int t = 0; t < _ntypes; t++)
            {
                _ct.ThrowIfCancellationRequested();
                var final = CastBack(FittingLower(start, _g.Item(natoms, 2 + t), CastIn(inputs), t, width));
                final = _g.Reshape(final, new object[] { _g.Item(_g.Shape(inputs), 0), _g.Item(natoms, 2 + t) });
                outs.Add(final);
                start = _g.Add(start, _g.Item(natoms, 2 + t));
            }

            var outsT = _g.Concat(outs, 1);
            _g.Mul(outsT, atypeFilter); // atom_ener_before (dead)
            var lookup = _g.EmbeddingLookup(tBias, atypeNloc);
            var rows = _g.Item(_g.Shape(inputs), 0);
            var counts = _g.StridedSlice(natoms, 2, 2 + _ntypes);
            var allAxes = _g.ConstInts(new[] { 0 }); // reduce_sum(axis=None) converts the axes before naming the op
            var nloc = _g.ReduceNamed(_g.UniqueName("Sum"), "Sum", counts, allAxes, false);
            var atomBias = _g.Reshape(lookup, new object[] { rows, nloc });
            outsT = _g.Add(outsT, atomBias);
            outsT = _g.Mul(outsT, atypeFilter);
            _g.Mul(atomBias, atypeFilter); // atom_bias_ener (dead)
            return _g.Reshape(outsT, new[] { -1 });
        }

        /// <summary>tf.clip_by_value(t, lo, hi): Minimum inside the scope, then a Maximum named by the scope.</summary>
        private TfTensor ClipByValue(TfTensor t, object lo, object hi)
        {
            string scope = _g.UniqueName("clip_by_value");
            TfTensor tMin;
            using (_g.EnterAbsolute(scope))
            {
                tMin = _g.GenBinary("Minimum", t, hi);
            }

            return _g.Binary("Maximum", scope, tMin, lo, absolute: true);
        }

        private TfTensor FittingLower(object start, TfTensor count, TfTensor inputs, int type, int inputWidth)
        {
            string suffix = "_type_" + type.ToString(CultureInfo.InvariantCulture);
            var inputsI = _g.Slice(inputs, new object[] { 0, start, 0 }, new object[] { -1, count, -1 });
            var layer = _g.Reshape(inputsI, new[] { -1, inputWidth });
            int previous = inputWidth;
            for (int k = 0; k < _o.FittingNeuron.Count; k++)
            {
                int width = _o.FittingNeuron[k];
                string name = "layer_" + k.ToString(CultureInfo.InvariantCulture) + suffix;
                if (k >= 1 && width == _o.FittingNeuron[k - 1])
                {
                    layer = _g.Add(layer, OneLayer(layer, previous, width, name, activate: true, timestep: true));
                }
                else
                {
                    layer = OneLayer(layer, previous, width, name, activate: true, timestep: false);
                }

                previous = width;
            }

            return OneLayer(layer, previous, 1, "final_layer" + suffix, activate: false, timestep: false);
        }

        /// <summary>network.py one_layer: matrix/bias (and idt, mean 0.1, for resnet layers) in a variable scope.</summary>
        private TfTensor OneLayer(TfTensor inputs, int inWidth, int outWidth, string name, bool activate, bool timestep)
        {
            using (_g.Scope(name))
            {
                string scope = name;
                var w = _g.Variable(scope + "/matrix", Weights(scope + "/matrix", inWidth, outWidth, 1.0 / Math.Sqrt(inWidth + outWidth)));
                var b = _g.Variable(scope + "/bias", Bias(scope + "/bias", outWidth, 0.0, 1.0));
                var hidden = _g.BiasAdd(_g.MatMul(inputs, w), b);
                TfTensor? idt = null;
                if (activate && timestep)
                {
                    idt = _g.Variable(scope + "/idt", Bias(scope + "/idt", outWidth, 0.1, 0.001));
                }

                if (activate)
                {
                    hidden = _g.Reshape(_g.Unary("Tanh", hidden), new[] { -1, outWidth });
                    if (idt is not null)
                    {
                        hidden = _g.Mul(hidden, idt);
                    }
                }

                return hidden;
            }
        }
    }
}
