//! Every construct of the language, and operator precedence.

use super::check;

#[test]
fn items() {
    check("parties ALICE, BOB;", "(parties ALICE BOB)");
    check("parties ALICE, BOB, CAROL,;", "(parties ALICE BOB CAROL)");
    check("param epochs = 50;", "(param epochs 50)");
    check("param lr = -0.5;", "(param lr (neg 0.5))");
    check("param w = [[1, 2], [3, 4]];", "(param w [[1 2] [3 4]])");
    check("param name = \"x.npy\";", "(param name \"x.npy\")");
    check("fn f() {}", "(fn f () {})");
    check("fn train(x, y,) { return x; }", "(fn train (x y) {(return x)})");
    check("", "");
    check("// only a comment\n", "");
}

#[test]
fn let_and_assign() {
    check("let x = 1;", "(let x 1)");
    check("let (w, b) = f(x);", "(let (w b) (f x))");
    check("let ((a, b), c,) = e;", "(let ((a b) c) e)");
    check("let (a,) = e;", "(let (a) e)");
    check("let (a) = e;", "(let a e)");
    check("x = e;", "(= x e)");
    check("x += e;", "(+= x e)");
    check("x -= e;", "(-= x e)");
    check("x *= e;", "(*= x e)");
    check("x /= e;", "(/= x e)");
    check("(a, b) = (b, a);", "(= (a b) (tuple b a))");
    check("((a, b), c) = e;", "(= ((a b) c) e)");
    check("(x) = 1;", "(= x 1)");
}

#[test]
fn control_flow() {
    check("if c { x = 1; }", "(if c {(= x 1)})");
    check("if c { } else { }", "(if c {} {})");
    check("if a { x = 1; } else if b { x = 2; } else { x = 3; }", "(if a {(= x 1)} {(if b {(= x 2)} {(= x 3)})})");
    check("if a {} else if b {} else if c {}", "(if a {} {(if b {} {(if c {})})})");
    check("for i in 0..n { s += i; }", "(for i 0 n {(+= s i)})");
    check("for i in a + 1..shape(x)[0] - 1 {}", "(for i (+ a 1) (- (index (shape x) 0) 1) {})");
    check("while x > 0 { x -= 1; }", "(while (> x 0) {(-= x 1)})");
    check("while true { break; continue; }", "(while true {break continue})");
    check("fn f() { return; }", "(fn f () {(return)})");
    check("return e;", "(return e)");
    check("return (w, b);", "(return (tuple w b))");
    check("if c { if d { } } x = 1;", "(if c {(if d {})})\n(= x 1)");
    check("for i in 0..2 { for j in 0..3 { } }", "(for i 0 2 {(for j 0 3 {})})");
}

#[test]
fn calls_and_literals() {
    check("print(x);", "(print x)");
    check("f();", "(f)");
    check("f(x, axis=0);", "(f x axis=0)");
    check("private(src=ALICE, load(\"f.npy\"));", "(private src=ALICE (load \"f.npy\"))");
    check("output(w, to=ALICE,);", "(output w to=ALICE)");
    check("argmax(x, 1, one_hot=true);", "(argmax x 1 one_hot=true)");
    check("f(a == b);", "(f (== a b))");
    check("[];", "[]");
    check("[1, 2];", "[1 2]");
    check("[1, 2,];", "[1 2]");
    check("[[1, 2], [3, 4]];", "[[1 2] [3 4]]");
    check("[a, b];", "[a b]");
    check("[-1, 2.5];", "[(neg 1) 2.5]");
    check("(a, b);", "(tuple a b)");
    check("(a, b, );", "(tuple a b)");
    check("(a,);", "(tuple a)");
    check("(a);", "a");
    check("true; false;", "true\nfalse");
}

#[test]
fn index_and_slice() {
    check("x[i];", "(index x i)");
    check("x[1:3];", "(index x 1:3)");
    check("x[:, 0:20];", "(index x : 0:20)");
    check("x[:-1];", "(index x :(neg 1))");
    check("x[2:];", "(index x 2:)");
    check("x[:];", "(index x :)");
    check("x[i, j];", "(index x i j)");
    check("x[i, j,];", "(index x i j)");
    check("x[n - 1];", "(index x (- n 1))");
    check("shape(x)[0];", "(index (shape x) 0)");
    check("f(x)[0][1];", "(index (index (f x) 0) 1)");
    check("[1, 2][0];", "(index [1 2] 0)");
    check("(a + b)[0];", "(index (+ a b) 0)");
}

#[test]
fn precedence() {
    check("a + b * c;", "(+ a (* b c))");
    check("a * b + c;", "(+ (* a b) c)");
    check("a - b - c;", "(- (- a b) c)");
    check("a / b / c;", "(/ (/ a b) c)");
    check("a @ b * c;", "(* (@ a b) c)");
    check("a + b @ c;", "(+ a (@ b c))");
    check("a < b + c;", "(< a (+ b c))");
    check("a + b == c * d;", "(== (+ a b) (* c d))");
    check("a <= b; a > b; a >= b; a != b;", "(<= a b)\n(> a b)\n(>= a b)\n(!= a b)");
    check("-a * b;", "(* (neg a) b)");
    check("-a @ b;", "(@ (neg a) b)");
    check("- -a;", "(neg (neg a))");
    check("a - -b;", "(- a (neg b))");
    check("-x[0];", "(neg (index x 0))");
    check("-f(x)[0];", "(neg (index (f x) 0))");
    check("(a + b) * c;", "(* (+ a b) c)");
    check("sign(w @ x + b) * y;", "(* (sign (+ (@ w x) b)) y)");
}

#[test]
fn numbers_and_strings() {
    check("3; 2.5; 1e-3; 2E3; 1.5e+2; .5; 007;", "3\n2.5\n0.001\n2000\n150\n0.5\n7");
    check(r#""a\"b\\c\n\t";"#, r#""a\"b\\c\n\t""#);
    check(r#""";"#, r#""""#);
    check("\"é ü\";", "\"é ü\"");
}

#[test]
fn comments_and_whitespace() {
    check("let /* a */ x = /* b /* nested */ c */ 1; // end", "(let x 1)");
    check("let\tx\r\n=\n1\n;", "(let x 1)");
    check("a / b; // c\n/**/ d;", "(/ a b)\nd");
}

#[test]
fn keywords_are_not_names() {
    check("letx = iffy + for_ + _in;", "(= letx (+ (+ iffy for_) _in))");
}

#[test]
fn the_language_example() {
    let src = r#"
parties ALICE, BOB;
param epochs = 50;
fn train(x, y, epochs, lr) {
    let w = randn([1, d], seed=1);
    for e in 0..epochs {
        let g = -y * (1 - correct) * 0.5;
        w = w - lr * (g @ transpose(x)) / n;
    }
    return (w, b);
}
let (w, b) = train(x, y, epochs, lr);
output(w, to=ALICE);
print(reveal(acc));
"#;
    check(
        src,
        "(parties ALICE BOB)
(param epochs 50)
(fn train (x y epochs lr) {(let w (randn [1 d] seed=1)) (for e 0 epochs {(let g (* (* (neg y) (- 1 correct)) 0.5)) (= w (- w (/ (* lr (@ g (transpose x))) n)))}) (return (tuple w b))})
(let (w b) (train x y epochs lr))
(output w to=ALICE)
(print (reveal acc))",
    );
}
