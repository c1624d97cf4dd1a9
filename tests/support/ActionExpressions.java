import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GitHub Actions expressions ({@code ${{ ... }}}), the part of the language a composite action's
 * metadata uses: context paths ({@code inputs.x}, {@code steps.id.outputs.name}, {@code github.x},
 * {@code runner.x}, {@code env.X}), string, number and boolean literals, {@code null}, {@code ! == != < <= > >= && ||},
 * parentheses, and the status functions {@code success() failure() always() cancelled()}. Anything else
 * is refused, so an action cannot quietly depend on what this emulation does not do.
 *
 * <p>Semantics follow GitHub's documentation: property names are case-insensitive and a missing one is
 * null; strings compare case-insensitively; values of different types are compared as numbers (null is 0,
 * booleans 1 and 0, '' is 0, other strings their number or NaN); {@code &&} and {@code ||} give an operand;
 * false, 0, '', null and NaN are falsy. In a string, null becomes '' and booleans 'true'/'false'.
 */
final class ActionExpressions {
    /** Whether an earlier step failed, and whether the run was cancelled: what the status functions see. */
    record Status(boolean failed, boolean cancelled) {
        static final Status OK = new Status(false, false);
    }

    private ActionExpressions() {}

    /** The value of one expression (the text between {@code ${{} and {@code }}}). */
    static Object evaluate(String expression, Map<String, ?> contexts, Status status) {
        Parser p = new Parser(tokenize(expression), contexts, status, expression);
        Object v = p.or();
        if (!p.atEnd()) throw p.error("unexpected '" + p.peek().text + "'");
        return v;
    }

    /**
     * A value with {@code ${{ }}} parts substituted, as the runner does for env:, with:, run: and outputs: values.
     * A value that is one expression and nothing else keeps its type; see {@link #text}.
     */
    static String render(String template, Map<String, ?> contexts, Status status) {
        if (template == null) return null;
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int open = template.indexOf("${{", at);
            if (open < 0) break;
            int close = closingBraces(template, open + 3);
            if (close < 0) throw new IllegalArgumentException("no closing }} in: " + template);
            out.append(template, at, open);
            out.append(text(evaluate(template.substring(open + 3, close), contexts, status)));
            at = close + 2;
        }
        return out.append(template.substring(at)).toString();
    }

    /**
     * A step's {@code if:}: an expression with or without {@code ${{ }}}; without a status function it means
     * {@code success() && (...)}; an absent condition means {@code success()}.
     */
    static boolean condition(String ifText, Map<String, ?> contexts, Status status) {
        String expr = ifText == null ? "" : ifText.strip();
        if (expr.startsWith("${{") && expr.endsWith("}}") && closingBraces(expr, 3) == expr.length() - 2) {
            expr = expr.substring(3, expr.length() - 2).strip();
        }
        if (expr.isEmpty()) expr = "success()";
        boolean hasStatusFunction = tokenize(expr).stream().anyMatch(t -> t.kind == Kind.IDENT
                && List.of("success", "failure", "always", "cancelled").contains(t.text.toLowerCase(Locale.ROOT)));
        if (!hasStatusFunction) expr = "success() && (" + expr + ")";
        return truthy(evaluate(expr, contexts, status));
    }

    static String text(Object v) {
        if (v == null) return "";
        if (v instanceof Boolean b) return b ? "true" : "false";
        if (v instanceof Double d) {
            if (d.isNaN()) return "NaN";
            return d == Math.rint(d) && !d.isInfinite() ? String.valueOf(d.longValue()) : String.valueOf(d);
        }
        if (v instanceof String s) return s;
        throw new IllegalArgumentException("an object or array cannot be written into a string: " + v);
    }

    static boolean truthy(Object v) {
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Double d) return d != 0 && !d.isNaN();
        if (v instanceof String s) return !s.isEmpty();
        return true;
    }

    static boolean looseEquals(Object a, Object b) {
        if (a instanceof String x && b instanceof String y) return x.equalsIgnoreCase(y);
        if (a instanceof Map || b instanceof Map) return a == b;
        double x = number(a);
        double y = number(b);
        return x == y; // NaN equals nothing
    }

    static double number(Object v) {
        if (v == null) return 0;
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (v instanceof Double d) return d;
        if (v instanceof String s) {
            String t = s.strip();
            if (t.isEmpty()) return 0;
            try {
                if (t.startsWith("0x") || t.startsWith("0X")) return Long.parseLong(t.substring(2), 16);
                return Double.parseDouble(t);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** The index of the {@code }}} that closes an expression starting at {@code from}, skipping string literals; -1 if none. */
    static int closingBraces(String s, int from) {
        boolean quoted = false;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'') quoted = !quoted; // '' inside a literal toggles twice
            else if (!quoted && c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') return i;
        }
        return -1;
    }

    // ---------------------------------------------------------------- tokens

    enum Kind { IDENT, STRING, NUMBER, OP, DOT, LPAREN, RPAREN, COMMA }

    record Token(Kind kind, String text) {}

    static List<Token> tokenize(String s) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'') {
                StringBuilder sb = new StringBuilder();
                i++;
                while (true) {
                    if (i >= s.length()) throw new IllegalArgumentException("unterminated string in: " + s);
                    char d = s.charAt(i);
                    if (d == '\'') {
                        if (i + 1 < s.length() && s.charAt(i + 1) == '\'') {
                            sb.append('\'');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    sb.append(d);
                    i++;
                }
                tokens.add(new Token(Kind.STRING, sb.toString()));
            } else if (Character.isDigit(c) || (c == '-' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
                int start = i++;
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) i++;
                tokens.add(new Token(Kind.NUMBER, s.substring(start, i)));
            } else if (Character.isLetter(c) || c == '_') {
                int start = i++;
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '-')) i++;
                tokens.add(new Token(Kind.IDENT, s.substring(start, i)));
            } else if (c == '.') {
                tokens.add(new Token(Kind.DOT, "."));
                i++;
            } else if (c == '(') {
                tokens.add(new Token(Kind.LPAREN, "("));
                i++;
            } else if (c == ')') {
                tokens.add(new Token(Kind.RPAREN, ")"));
                i++;
            } else if (c == ',') {
                tokens.add(new Token(Kind.COMMA, ","));
                i++;
            } else {
                String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
                if (List.of("==", "!=", "<=", ">=", "&&", "||").contains(two)) {
                    tokens.add(new Token(Kind.OP, two));
                    i += 2;
                } else if (c == '!' || c == '<' || c == '>') {
                    tokens.add(new Token(Kind.OP, String.valueOf(c)));
                    i++;
                } else {
                    throw new IllegalArgumentException("unsupported character '" + c + "' in expression: " + s);
                }
            }
        }
        return tokens;
    }

    // ---------------------------------------------------------------- parser that evaluates as it goes

    private static final class Parser {
        private final List<Token> tokens;
        private final Map<String, ?> contexts;
        private final Status status;
        private final String source;
        private int pos;

        Parser(List<Token> tokens, Map<String, ?> contexts, Status status, String source) {
            this.tokens = tokens;
            this.contexts = contexts;
            this.status = status;
            this.source = source;
        }

        boolean atEnd() {
            return pos >= tokens.size();
        }

        Token peek() {
            return atEnd() ? null : tokens.get(pos);
        }

        boolean op(String text) {
            Token t = peek();
            if (t != null && t.kind == Kind.OP && t.text.equals(text)) {
                pos++;
                return true;
            }
            return false;
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " in expression: " + source);
        }

        Object or() {
            Object left = and();
            while (op("||")) {
                Object right = and();
                left = truthy(left) ? left : right;
            }
            return left;
        }

        Object and() {
            Object left = equality();
            while (op("&&")) {
                Object right = equality();
                left = truthy(left) ? right : left;
            }
            return left;
        }

        Object equality() {
            Object left = comparison();
            while (true) {
                if (op("==")) left = looseEquals(left, comparison());
                else if (op("!=")) left = !looseEquals(left, comparison());
                else return left;
            }
        }

        Object comparison() {
            Object left = unary();
            while (true) {
                String o = peek() != null && peek().kind == Kind.OP && List.of("<", "<=", ">", ">=").contains(peek().text)
                        ? tokens.get(pos++).text : null;
                if (o == null) return left;
                Object right = unary();
                int cmp;
                if (left instanceof String x && right instanceof String y) {
                    cmp = x.compareToIgnoreCase(y);
                } else {
                    double x = number(left);
                    double y = number(right);
                    if (Double.isNaN(x) || Double.isNaN(y)) {
                        left = false;
                        continue;
                    }
                    cmp = Double.compare(x, y);
                }
                left = switch (o) {
                    case "<" -> cmp < 0;
                    case "<=" -> cmp <= 0;
                    case ">" -> cmp > 0;
                    default -> cmp >= 0;
                };
            }
        }

        Object unary() {
            if (op("!")) return !truthy(unary());
            return primary();
        }

        Object primary() {
            Token t = peek();
            if (t == null) throw error("unexpected end");
            pos++;
            switch (t.kind) {
                case STRING:
                    return t.text;
                case NUMBER:
                    double d = number(t.text);
                    if (Double.isNaN(d)) throw error("not a number '" + t.text + "'");
                    return d;
                case LPAREN: {
                    Object v = or();
                    expect(Kind.RPAREN);
                    return v;
                }
                case IDENT:
                    return identifier(t.text);
                default:
                    throw error("unexpected '" + t.text + "'");
            }
        }

        void expect(Kind kind) {
            Token t = peek();
            if (t == null || t.kind != kind) throw error("expected " + kind);
            pos++;
        }

        Object identifier(String name) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (peek() != null && peek().kind == Kind.LPAREN) {
                pos++;
                expect(Kind.RPAREN);
                return switch (lower) {
                    case "success" -> !status.failed() && !status.cancelled();
                    case "failure" -> status.failed();
                    case "always" -> true;
                    case "cancelled" -> status.cancelled();
                    default -> throw error("unsupported function " + name + "()");
                };
            }
            switch (lower) {
                case "true": return true;
                case "false": return false;
                case "null": return null;
                default:
            }
            if (!contexts.containsKey(lower)) throw error("unknown context '" + name + "'");
            Object value = contexts.get(lower);
            while (peek() != null && peek().kind == Kind.DOT) {
                pos++;
                Token property = peek();
                if (property == null || property.kind != Kind.IDENT) throw error("expected a property name after '.'");
                pos++;
                value = property(value, property.text);
            }
            return value;
        }

        static Object property(Object value, String name) {
            if (!(value instanceof Map<?, ?> map)) return null;
            if (map.containsKey(name)) return map.get(name);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (e.getKey().toString().equalsIgnoreCase(name)) return e.getValue();
            }
            return null;
        }
    }
}
