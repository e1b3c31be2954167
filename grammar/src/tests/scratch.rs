use super::*;
#[test]
fn scratch() {
    let src = std::fs::read_to_string("/tmp/g.mpc").unwrap();
    let (program, errors) = parse(&src);
    println!("{}", print::program(&program));
    for e in &errors { println!("{}", print::error(&src, e)); }
}
