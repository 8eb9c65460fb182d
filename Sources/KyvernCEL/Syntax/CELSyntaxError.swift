/// A parse error at an offset of the source; rendered into cel-go's `ERROR: <input>:l:c: msg` form.
struct CELSyntaxError: Error, Sendable {
    var message: String
    var offset: Int
}
