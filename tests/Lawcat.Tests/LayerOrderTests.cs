using System.Text.RegularExpressions;
using Mono.Cecil;

namespace Lawcat.Tests;

/// <summary>
/// Keeps the folders of the core library and of the presentation assembly in a one-way order: a type may use types of
/// its own layer and of layers below it, never of a layer above it nor of another layer on its own row. The order is
/// the one written in docs/architecture.md; the test reads the compiled Lawcat.dll and Lawcat.Presentation.dll, so
/// every kind of use counts (base types, fields, signatures, calls, field accesses, object creation, type tokens,
/// generic arguments, attributes, and the closures and state machines the compiler nests inside a type).
/// </summary>
public class LayerOrderTests
{
    /// <summary>The layers, bottom to top; the layers of one row may not use each other.</summary>
    static readonly string[][] Rows =
    [
        ["Lawcat"],
        ["Lawcat.IO", "Lawcat.Tokenization", "Lawcat.Statistics"],
        ["Lawcat.Kernels.Cuda"],
        ["Lawcat.Kernels"],
        ["Lawcat.Llama"],
        ["Lawcat.Attention"],
        ["Lawcat.Conversion"],
        ["Lawcat.Evaluation"],
        ["Lawcat.Data"],
        ["Lawcat.Training"],
        ["Lawcat.Export"],
        ["Lawcat.Distillation", "Lawcat.Diagnostics"],
        ["Lawcat.Ablation", "Lawcat.Benchmarks"],
        // The presentation assembly (Lawcat.Presentation.dll), above every layer of the core library.
        ["Lawcat.Visualization"],
        ["Lawcat.Notebooks"],
    ];

    /// <summary>The layered assemblies, core first; the presentation assembly's layers sit above all of the core's.</summary>
    static readonly string[] AssemblyPaths =
        [typeof(LawcatException).Assembly.Location, typeof(Lawcat.Visualization.Charts).Assembly.Location];

    static readonly HashSet<string> LayeredAssemblies = AssemblyPaths.Select(p => Path.GetFileNameWithoutExtension(p)).ToHashSet();

    /// <summary>The source folders of the layered assemblies.</summary>
    static readonly string[] SourceFolders = ["Lawcat", "Lawcat.Presentation"];

    static readonly Dictionary<string, int> RowOfLayer = Rows
        .SelectMany((layers, row) => layers.Select(layer => (layer, row)))
        .ToDictionary(pair => pair.layer, pair => pair.row);

    /// <summary>The namespaces of the Lawcat types of an assembly.</summary>
    static List<string> Namespaces(string assemblyPath) => ModuleDefinition.ReadModule(assemblyPath).Types
        .Where(type => type.Namespace.StartsWith("Lawcat", StringComparison.Ordinal))
        .Select(type => type.Namespace)
        .Distinct()
        .Order()
        .ToList();

    [Fact]
    public void EveryNamespaceOfTheLibraryHasALayer()
    {
        var unplaced = AssemblyPaths.SelectMany(Namespaces).Where(ns => !RowOfLayer.ContainsKey(ns)).Order().ToList();
        Assert.True(unplaced.Count == 0,
            "namespaces missing from the layer table (add them to LayerOrderTests.Rows and docs/architecture.md): "
            + string.Join(", ", unplaced));
    }

    [Fact]
    public void ThePresentationLayersSitAboveTheCoreLibrary()
    {
        var core = Namespaces(AssemblyPaths[0]).Where(RowOfLayer.ContainsKey).ToList();
        var presentation = Namespaces(AssemblyPaths[1]).Where(RowOfLayer.ContainsKey).ToList();
        Assert.NotEmpty(presentation);
        var topOfCore = core.MaxBy(ns => RowOfLayer[ns])!;
        foreach (var ns in presentation)
            Assert.True(RowOfLayer[ns] > RowOfLayer[topOfCore], $"{ns} (Lawcat.Presentation.dll) is not above {topOfCore} (Lawcat.dll)");
        Assert.Empty(core.Intersect(presentation));
    }

    /// <summary>Plots and dataframes are presentation: the core library runs, trains and evaluates without them.</summary>
    [Fact]
    public void TheCoreLibraryHasNoPlottingOrDataframeDependency()
    {
        var references = ModuleDefinition.ReadModule(AssemblyPaths[0]).AssemblyReferences.Select(r => r.Name).ToList();
        Assert.Contains("TorchSharp", references);
        Assert.DoesNotContain("ScottPlot", references);
        Assert.DoesNotContain("Microsoft.Data.Analysis", references);
    }

    [Fact]
    public void NoTypeUsesALayerAboveItsOwnOrBesideIt()
    {
        var violations = AssemblyPaths.SelectMany(Violations).ToList();
        Assert.True(violations.Count == 0,
            $"{violations.Count} uses of a layer above or beside the user's own:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void NoSourceFileImportsALayerAboveItsOwnOrBesideIt()
    {
        // Constants are copied into the IL of their users, so the compiled code cannot show a use of one; the
        // using directives of the sources can.
        var violations = new List<string>();
        foreach (var file in SourceFolders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(TestPaths.Root, "src", folder), "*.cs", SearchOption.AllDirectories))
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                                 && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
                     .Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            var own = lines.Select(l => Regex.Match(l, @"^namespace (Lawcat[\w.]*);")).FirstOrDefault(m => m.Success)?.Groups[1].Value;
            if (own is null || !RowOfLayer.ContainsKey(own))
                continue;
            foreach (var line in lines)
            {
                var used = Regex.Match(line, @"^using (?:static )?(Lawcat(?:\.\w+)*)\s*;").Groups[1].Value;
                var layer = RowOfLayer.Keys.Where(l => used == l || used.StartsWith(l + ".", StringComparison.Ordinal)).MaxBy(l => l.Length);
                if (layer is not null && !Allowed(own, layer))
                    violations.Add($"{Path.GetRelativePath(TestPaths.Root, file)}: {line.Trim()}");
            }
        }
        Assert.True(violations.Count == 0, $"{violations.Count} imports of a layer above or beside the file's own:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void ALayerMayUseItsOwnLayerAndTheLayersBelow()
    {
        Assert.True(Allowed("Lawcat.Attention", "Lawcat.Attention"));
        Assert.True(Allowed("Lawcat.Attention", "Lawcat.Llama"));
        Assert.True(Allowed("Lawcat.Kernels", "Lawcat"));
        Assert.False(Allowed("Lawcat.Llama", "Lawcat.Attention"));
        Assert.False(Allowed("Lawcat.Kernels", "Lawcat.Llama"));
        Assert.False(Allowed("Lawcat.Training", "Lawcat.Distillation"));
        Assert.False(Allowed("Lawcat.IO", "Lawcat.Tokenization"));
    }

    static bool Allowed(string userLayer, string usedLayer) =>
        userLayer == usedLayer || RowOfLayer[userLayer] > RowOfLayer[usedLayer];

    /// <summary>Every use of a type of a layer the user may not use, as "Lawcat.A.User -> Lawcat.B.Used (member)".</summary>
    static List<string> Violations(string assemblyPath)
    {
        var module = ModuleDefinition.ReadModule(assemblyPath);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in AllTypes(module.Types))
        {
            var owner = TopLevel(type);
            if (!RowOfLayer.ContainsKey(owner.Namespace))
                continue;
            foreach (var (used, member) in Uses(type))
            {
                var usedOwner = TopLevelOfLayeredType(used);
                if (usedOwner is null || !RowOfLayer.ContainsKey(usedOwner.Namespace))
                    continue;
                if (!Allowed(owner.Namespace, usedOwner.Namespace))
                    found.Add($"{owner.FullName} -> {usedOwner.FullName} ({member})");
            }
        }
        return found.ToList();
    }

    static IEnumerable<TypeDefinition> AllTypes(IEnumerable<TypeDefinition> types) =>
        types.SelectMany(type => AllTypes(type.NestedTypes).Prepend(type));

    static TypeReference TopLevel(TypeReference type)
    {
        while (type.DeclaringType is not null)
            type = type.DeclaringType;
        return type;
    }

    /// <summary>The top-level type that <paramref name="type"/> names when it is of a layered assembly, else null.</summary>
    static TypeReference? TopLevelOfLayeredType(TypeReference type)
    {
        var top = TopLevel(type);
        var assembly = top is TypeDefinition definition ? definition.Module.Assembly.Name.Name
            : top.Scope switch
            {
                ModuleDefinition module => module.Assembly.Name.Name,
                AssemblyNameReference reference => reference.Name,
                _ => null,
            };
        return assembly is not null && LayeredAssemblies.Contains(assembly) ? top : null;
    }

    /// <summary>The types a type uses, each with the member (of the user) where the use sits.</summary>
    static IEnumerable<(TypeReference Used, string Member)> Uses(TypeDefinition type)
    {
        var name = type.Name;
        var found = new List<(TypeReference, string)>();
        void Add(TypeReference? used, string member)
        {
            foreach (var part in Parts(used))
                found.Add((part, member));
        }
        void AddAttributes(ICustomAttributeProvider provider, string member)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType, member);
                foreach (var argument in attribute.ConstructorArguments)
                    if (argument.Value is TypeReference typeArgument)
                        Add(typeArgument, member);
            }
        }

        Add(type.BaseType, $"{name} base type");
        foreach (var implemented in type.Interfaces)
            Add(implemented.InterfaceType, $"{name} interface");
        foreach (var parameter in type.GenericParameters)
            foreach (var constraint in parameter.Constraints)
                Add(constraint.ConstraintType, $"{name} constraint");
        AddAttributes(type, $"{name} attribute");
        foreach (var field in type.Fields)
        {
            Add(field.FieldType, $"{name}.{field.Name}");
            AddAttributes(field, $"{name}.{field.Name}");
        }
        foreach (var property in type.Properties)
        {
            Add(property.PropertyType, $"{name}.{property.Name}");
            AddAttributes(property, $"{name}.{property.Name}");
        }
        foreach (var @event in type.Events)
            Add(@event.EventType, $"{name}.{@event.Name}");
        foreach (var method in type.Methods)
        {
            var member = $"{name}.{method.Name}";
            Add(method.ReturnType, member);
            AddAttributes(method, member);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType, member);
                AddAttributes(parameter, member);
            }
            foreach (var generic in method.GenericParameters)
                foreach (var constraint in generic.Constraints)
                    Add(constraint.ConstraintType, member);
            if (!method.HasBody)
                continue;
            foreach (var local in method.Body.Variables)
                Add(local.VariableType, member);
            foreach (var instruction in method.Body.Instructions)
                switch (instruction.Operand)
                {
                    case TypeReference used:
                        Add(used, member);
                        break;
                    case MethodReference called:
                        Add(called.DeclaringType, member);
                        Add(called.ReturnType, member);
                        foreach (var parameter in called.Parameters)
                            Add(parameter.ParameterType, member);
                        if (called is GenericInstanceMethod genericCall)
                            foreach (var argument in genericCall.GenericArguments)
                                Add(argument, member);
                        break;
                    case FieldReference accessed:
                        Add(accessed.DeclaringType, member);
                        Add(accessed.FieldType, member);
                        break;
                }
        }
        return found;
    }

    /// <summary>The named types inside a type expression: element types of arrays and by-refs, generic arguments.</summary>
    static IEnumerable<TypeReference> Parts(TypeReference? type)
    {
        switch (type)
        {
            case null:
            case GenericParameter:
                yield break;
            case GenericInstanceType generic:
                foreach (var part in Parts(generic.ElementType))
                    yield return part;
                foreach (var argument in generic.GenericArguments)
                    foreach (var part in Parts(argument))
                        yield return part;
                break;
            case TypeSpecification specification:
                foreach (var part in Parts(specification.ElementType))
                    yield return part;
                break;
            default:
                yield return type;
                break;
        }
    }
}
