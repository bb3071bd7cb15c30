using System.Reflection;
using System.Reflection.Emit;

namespace ImagePipeline.Cli.Tests.Architecture;

/// <summary>
/// Which namespace of an assembly uses which other namespace of the same assembly, read from the
/// compiled code with reflection: base types and interfaces, fields, properties, method signatures,
/// locals, and every type, method and field a method body names (its IL tokens). Compiler-made
/// types (lambdas, async state machines) count for the type they were written in.
/// </summary>
public static class NamespaceGraph
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Edges from each namespace to the namespaces it uses, with one example of each use ("Type → Type").</summary>
    public static Dictionary<string, Dictionary<string, string>> Of(Assembly assembly)
    {
        var edges = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = Outermost(type);
            if (Namespace(from) is not { } source)
                continue;
            foreach (var used in Uses(type))
            {
                if (used.Assembly != assembly || Namespace(Outermost(used)) is not { } target || target == source)
                    continue;
                var targets = edges.TryGetValue(source, out var known) ? known : edges[source] = new(StringComparer.Ordinal);
                targets.TryAdd(target, $"{from.Name} → {Outermost(used).Name}");
            }
        }

        return edges;
    }

    /// <summary>The groups of namespaces that use each other in a ring (strongly connected, more than one), each with the uses that close it.</summary>
    public static List<List<string>> Cycles(Dictionary<string, Dictionary<string, string>> edges)
    {
        var index = 0;
        var indices = new Dictionary<string, int>();
        var lowest = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var cycles = new List<List<string>>();

        void Visit(string node)
        {
            indices[node] = lowest[node] = index++;
            stack.Push(node);
            foreach (var next in edges.GetValueOrDefault(node)?.Keys ?? Enumerable.Empty<string>())
            {
                if (indices.TryGetValue(next, out var seen))
                {
                    if (stack.Contains(next))
                        lowest[node] = Math.Min(lowest[node], seen);
                }
                else
                {
                    Visit(next);
                    lowest[node] = Math.Min(lowest[node], lowest[next]);
                }
            }

            if (lowest[node] != indices[node])
                return;
            var group = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                group.Add(member);
            }
            while (member != node);
            if (group.Count > 1)
                cycles.Add([.. group.Order(StringComparer.Ordinal)]);
        }

        foreach (var node in edges.Keys.Order(StringComparer.Ordinal).ToList())
            if (!indices.ContainsKey(node))
                Visit(node);
        return cycles;
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
            type = outer;
        return type;
    }

    /// <summary>Null for the compiler's and Razor's generated types, which belong to no namespace a person wrote.</summary>
    private static string? Namespace(Type type) =>
        type.Namespace is { } name && !name.StartsWith("AspNetCoreGeneratedDocument", StringComparison.Ordinal) && !name.StartsWith("Microsoft.", StringComparison.Ordinal)
        && !name.StartsWith("System.", StringComparison.Ordinal) ? name : null;

    private static List<Type> Uses(Type type)
    {
        var found = new List<Type>();
        void Add(Type? used)
        {
            if (used is null)
                return;
            if (used.HasElementType)
            {
                Add(used.GetElementType());
                return;
            }

            if (used.IsGenericType && !used.IsGenericTypeDefinition)
            {
                foreach (var argument in used.GetGenericArguments())
                    Add(argument);
                used = used.GetGenericTypeDefinition();
            }

            if (!used.IsGenericParameter)
                found.Add(used);
        }

        Add(type.BaseType);
        foreach (var contract in type.GetInterfaces())
            Add(contract);
        foreach (var field in type.GetFields(Everything))
            Add(field.FieldType);
        foreach (var property in type.GetProperties(Everything))
            Add(property.PropertyType);
        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info)
                Add(info.ReturnType);
            foreach (var parameter in method.GetParameters())
                Add(parameter.ParameterType);
            var body = method.GetMethodBody();
            if (body is null)
                continue;
            foreach (var local in body.LocalVariables)
                Add(local.LocalType);
            foreach (var used in BodyUses(method, body.GetILAsByteArray() ?? []))
                Add(used);
        }

        return found;
    }

    /// <summary>The types a method body names through its tokens: the types themselves, and the types declaring the methods and fields it uses.</summary>
    private static IEnumerable<Type> BodyUses(MethodBase method, byte[] il)
    {
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = (short)il[at++];
            if (value == 0xFE)
                value = unchecked((short)(0xFE00 | il[at++]));
            if (!OpCodesByValue.TryGetValue(value, out var code))
                yield break;
            switch (code.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, at);
                    at += 4;
                    MemberInfo? member;
                    try
                    {
                        member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                        member = null;
                    }

                    if (member is Type named)
                        yield return named;
                    else if (member?.DeclaringType is { } owner)
                        yield return owner;
                    if (member is MethodInfo { IsGenericMethod: true } generic)
                        foreach (var argument in generic.GetGenericArguments())
                            yield return argument;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                default:
                    at += 4;
                    break;
            }
        }
    }
}
