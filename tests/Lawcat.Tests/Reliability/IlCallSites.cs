using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Lawcat.Tests.Reliability;

/// <summary>One IL instruction: its opcode, its inline operand (0 if none) and, for calls, the member it calls.</summary>
public sealed record IlInstruction(short OpCode, long Operand, string? Member)
{
    /// <summary>The local a ldloc/stloc form reads or writes, or −1.</summary>
    public int Local => OpCode switch
    {
        >= 0x06 and <= 0x09 => OpCode - 0x06,                   // ldloc.0-3
        >= 0x0A and <= 0x0D => OpCode - 0x0A,                   // stloc.0-3
        0x11 or 0x13 or unchecked((short)0xFE0C) or unchecked((short)0xFE0E) => (int)Operand,  // ldloc.s, stloc.s, ldloc, stloc
        _ => -1,
    };

    /// <summary>Whether this stores into a local.</summary>
    public bool IsStoreLocal => OpCode is >= 0x0A and <= 0x0D or 0x13 or unchecked((short)0xFE0E);
}

/// <summary>
/// The instructions of every method of a compiled assembly, with the members called (call, callvirt, newobj, ldftn)
/// named as <c>Namespace.Type+Nested::Name(ParamType, ...)</c> the same way for definitions and references, so calls
/// can be followed from one assembly into another.
/// </summary>
public sealed class IlCallSites
{
    /// <summary>Method → its instructions, one entry per method with a body.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IlInstruction>> Methods { get; }

    /// <summary>Caller → the members it calls.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Calls { get; }

    IlCallSites(Dictionary<string, IReadOnlyList<IlInstruction>> methods)
    {
        Methods = methods;
        Calls = methods.ToDictionary(m => m.Key, m => (IReadOnlyList<string>)m.Value.Where(i => i.Member is not null).Select(i => i.Member!).ToList());
    }

    static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>Reads every method body of the assembly at <paramref name="path"/>.</summary>
    public static IlCallSites Read(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var names = new MemberNames(md);
        var methods = new Dictionary<string, IReadOnlyList<IlInstruction>>();
        foreach (var h in md.MethodDefinitions)
        {
            var def = md.GetMethodDefinition(h);
            if (def.RelativeVirtualAddress == 0) continue;
            var il = pe.GetMethodBody(def.RelativeVirtualAddress).GetILBytes()!;
            methods[names.Method(h)] = Decode(il, md, names);
        }
        return new IlCallSites(methods);
    }

    static List<IlInstruction> Decode(byte[] il, MetadataReader md, MemberNames names)
    {
        var found = new List<IlInstruction>();
        for (int i = 0; i < il.Length;)
        {
            short code = il[i] == 0xFE ? unchecked((short)(0xFE00 | il[i + 1])) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var type = OperandTypes[code];
            int size = type switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            long operand = size switch { 1 => il[i], 2 => BitConverter.ToUInt16(il, i), 4 => BitConverter.ToInt32(il, i), 8 => BitConverter.ToInt64(il, i), _ => 0 };
            string? member = null;
            if (type == OperandType.InlineMethod)
            {
                var handle = MetadataTokens.EntityHandle((int)operand);
                if (handle.Kind == HandleKind.MethodSpecification) handle = md.GetMethodSpecification((MethodSpecificationHandle)handle).Method;
                member = handle.Kind == HandleKind.MethodDefinition ? names.Method((MethodDefinitionHandle)handle) : names.Reference((MemberReferenceHandle)handle);
            }
            found.Add(new IlInstruction(code, operand, member));
            i += size;
        }
        return found;
    }

    /// <summary>Type and member names as text; a signature provider that writes types the way reflection would.</summary>
    sealed class MemberNames(MetadataReader md) : ISignatureTypeProvider<string, object?>
    {
        public string Method(MethodDefinitionHandle h)
        {
            var def = md.GetMethodDefinition(h);
            return Name(GetTypeFromDefinition(md, def.GetDeclaringType(), 0), md.GetString(def.Name), def.DecodeSignature(this, null));
        }

        public string Reference(MemberReferenceHandle h)
        {
            var r = md.GetMemberReference(h);
            var parent = r.Parent.Kind switch
            {
                HandleKind.TypeReference => GetTypeFromReference(md, (TypeReferenceHandle)r.Parent, 0),
                HandleKind.TypeDefinition => GetTypeFromDefinition(md, (TypeDefinitionHandle)r.Parent, 0),
                HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)r.Parent).DecodeSignature(this, null),
                _ => "?",
            };
            var generic = parent.IndexOf('<');
            return Name(generic < 0 ? parent : parent[..generic], md.GetString(r.Name), r.DecodeMethodSignature(this, null));
        }

        static string Name(string type, string member, MethodSignature<string> sig) => $"{type}::{member}({string.Join(", ", sig.ParameterTypes)})";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var t = reader.GetTypeDefinition(handle);
            var name = reader.GetString(t.Name);
            return t.IsNested ? GetTypeFromDefinition(reader, t.GetDeclaringType(), 0) + "+" + name
                : Qualified(reader.GetString(t.Namespace), name);
        }

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var t = reader.GetTypeReference(handle);
            var name = reader.GetString(t.Name);
            return t.ResolutionScope.Kind == HandleKind.TypeReference
                ? GetTypeFromReference(reader, (TypeReferenceHandle)t.ResolutionScope, 0) + "+" + name
                : Qualified(reader.GetString(t.Namespace), name);
        }

        static string Qualified(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;

        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode switch
        {
            PrimitiveTypeCode.Boolean => "Boolean", PrimitiveTypeCode.Byte => "Byte", PrimitiveTypeCode.SByte => "SByte",
            PrimitiveTypeCode.Char => "Char", PrimitiveTypeCode.Int16 => "Int16", PrimitiveTypeCode.UInt16 => "UInt16",
            PrimitiveTypeCode.Int32 => "Int32", PrimitiveTypeCode.UInt32 => "UInt32", PrimitiveTypeCode.Int64 => "Int64",
            PrimitiveTypeCode.UInt64 => "UInt64", PrimitiveTypeCode.Single => "Single", PrimitiveTypeCode.Double => "Double",
            PrimitiveTypeCode.String => "String", PrimitiveTypeCode.Object => "Object", PrimitiveTypeCode.IntPtr => "IntPtr",
            PrimitiveTypeCode.UIntPtr => "UIntPtr", PrimitiveTypeCode.Void => "Void", PrimitiveTypeCode.TypedReference => "TypedReference",
            _ => typeCode.ToString(),
        };
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType + "<" + string.Join(", ", typeArguments) + ">";
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    }
}
