/// A named float32 tensor in TensorFlow's shape (HWIO for convolutions),
/// row-major: a variable, a moving statistic or an optimizer slot.
final class Tensor {
    let name: String
    let shape: [Int]
    let buffer: AlignedBuffer
    var count: Int { buffer.count }
    var pointer: UnsafeMutablePointer<Float> { buffer.pointer }

    init(name: String, shape: [Int], fill: Float = 0) throws {
        self.name = name
        self.shape = shape
        buffer = try AlignedBuffer(count: shape.reduce(1, *), zeroed: fill == 0)
        if fill != 0 { buffer.pointer.initialize(repeating: fill, count: buffer.count) }
    }

    func copy(from other: Tensor) { pointer.update(from: other.pointer, count: count) }
}

/// A trainable variable: its tensor, whether weight decay applies (TF-Slim's
/// regularizer: Conv2d_0, pointwise and logits weights, not depthwise), and,
/// while its layer trains, its gradient and optimizer slots.
final class Variable {
    let tensor: Tensor
    let regularized: Bool
    private(set) var gradient: AlignedBuffer?
    var slots: [Tensor] = []

    var trainable: Bool { gradient != nil }
    var name: String { tensor.name }

    init(_ tensor: Tensor, regularized: Bool) {
        self.tensor = tensor
        self.regularized = regularized
    }

    func makeTrainable() throws { gradient = try AlignedBuffer(count: tensor.count) }
}
