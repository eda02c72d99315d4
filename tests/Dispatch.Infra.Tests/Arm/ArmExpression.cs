using System.Globalization;
using System.Text;

namespace Dispatch.Infra.Tests.Arm;

/// <summary>A parsed ARM template language expression: <c>[format('{0}-x', parameters('a'))]</c> without its brackets.</summary>
internal abstract record ArmExpression
{
    public sealed record Literal(object? Value) : ArmExpression;

    public sealed record Call(string Function, IReadOnlyList<ArmExpression> Arguments) : ArmExpression;

    public sealed record Member(ArmExpression Target, string Name) : ArmExpression;

    public sealed record Index(ArmExpression Target, ArmExpression Key) : ArmExpression;

    /// <summary>True for a JSON string that holds an expression (<c>[...]</c>, but not <c>[[</c>, which is an escaped literal).</summary>
    public static bool IsExpression(string text) => text.Length >= 2 && text[0] == '[' && text[^1] == ']' && !text.StartsWith("[[", StringComparison.Ordinal);

    public static ArmExpression Parse(string text)
    {
        var parser = new Parser(text[1..^1]);
        var expression = parser.ParseExpression();
        parser.SkipSpaces();
        return parser.AtEnd ? expression : throw new FormatException($"Unexpected text at {parser.Position} in {text}");
    }

    private sealed class Parser(string text)
    {
        public int Position { get; private set; }

        public bool AtEnd => Position >= text.Length;

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[Position]))
            {
                Position++;
            }
        }

        public ArmExpression ParseExpression()
        {
            SkipSpaces();
            var expression = ParsePrimary();
            while (true)
            {
                SkipSpaces();
                if (!AtEnd && text[Position] == '.')
                {
                    Position++;
                    expression = new Member(expression, ReadIdentifier());
                }
                else if (!AtEnd && text[Position] == '[')
                {
                    Position++;
                    var key = ParseExpression();
                    Expect(']');
                    expression = new Index(expression, key);
                }
                else
                {
                    return expression;
                }
            }
        }

        private ArmExpression ParsePrimary()
        {
            var c = text[Position];
            if (c == '\'')
            {
                return new Literal(ReadString());
            }

            if (char.IsDigit(c) || c == '-')
            {
                var start = Position++;
                while (!AtEnd && char.IsDigit(text[Position]))
                {
                    Position++;
                }

                return new Literal(long.Parse(text[start..Position], CultureInfo.InvariantCulture));
            }

            var name = ReadIdentifier();
            Expect('(');
            var arguments = new List<ArmExpression>();
            SkipSpaces();
            if (text[Position] == ')')
            {
                Position++;
                return new Call(name, arguments);
            }

            while (true)
            {
                arguments.Add(ParseExpression());
                SkipSpaces();
                if (text[Position] == ',')
                {
                    Position++;
                    continue;
                }

                Expect(')');
                return new Call(name, arguments);
            }
        }

        private string ReadIdentifier()
        {
            SkipSpaces();
            var start = Position;
            while (!AtEnd && (char.IsLetterOrDigit(text[Position]) || text[Position] is '_' or '$' or '#'))
            {
                Position++;
            }

            return start == Position ? throw new FormatException($"Identifier expected at {start} in [{text}]") : text[start..Position];
        }

        private string ReadString()
        {
            var result = new StringBuilder();
            Position++;
            while (true)
            {
                var c = text[Position++];
                if (c == '\'')
                {
                    if (!AtEnd && text[Position] == '\'')
                    {
                        result.Append('\'');
                        Position++;
                        continue;
                    }

                    return result.ToString();
                }

                result.Append(c);
            }
        }

        private void Expect(char c)
        {
            SkipSpaces();
            if (AtEnd || text[Position] != c)
            {
                throw new FormatException($"'{c}' expected at {Position} in [{text}]");
            }

            Position++;
        }
    }
}
