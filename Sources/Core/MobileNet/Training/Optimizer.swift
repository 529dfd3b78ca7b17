/// TensorFlow 1's optimizers, as its CPU kernels compute them (float32,
/// same operation order): tf.compat.v1.train.RMSPropOptimizer (slots
/// RMSProp = mean square, starting at 1; RMSProp_1 = momentum),
/// MomentumOptimizer (Momentum), GradientDescentOptimizer, AdamOptimizer
/// (Adam = m, Adam_1 = v, and the beta1_power / beta2_power accumulators).
enum OptimizerRule {
    static func slotNames(_ optimizer: TrainingOptions.Optimizer) -> [String] {
        switch optimizer {
        case .rmsprop: return ["RMSProp", "RMSProp_1"]
        case .momentum: return ["Momentum"]
        case .sgd: return []
        case .adam: return ["Adam", "Adam_1"]
        }
    }

    static let allSlotSuffixes = ["RMSProp", "RMSProp_1", "Momentum", "Adam", "Adam_1"]
    static let betaPowerNames = ["beta1_power", "beta2_power"]

    /// A slot's starting value (TF1: RMSProp's mean square starts at ones).
    static func initialValue(_ slot: String) -> Float { slot == "RMSProp" ? 1 : 0 }

    struct Hyper {
        let options: TrainingOptions
        let learningRate: Float
        /// Adam's current beta1^t and beta2^t.
        let beta1Power: Float, beta2Power: Float
    }

    /// The update of element i: the new weight and new slot values, written
    /// only when `commit` (a first pass with commit = false checks that
    /// every new value is finite). Returns false on a non-finite result.
    @inline(__always)
    static func update(_ v: Variable, _ i: Int, _ g: Float, _ h: Hyper, commit: Bool) -> Bool {
        let w = v.tensor.pointer
        let lr = h.learningRate, o = h.options
        switch o.optimizer {
        case .rmsprop:
            let ms = v.slots[0].pointer, mom = v.slots[1].pointer
            let newMs = ms[i] + (g * g - ms[i]) * (1 - o.rmspropDecay)
            let newMom = mom[i] * o.momentum + (g * lr) / (newMs + o.epsilon).squareRoot()
            let newW = w[i] - newMom
            guard newMs.isFinite, newMom.isFinite, newW.isFinite else { return false }
            if commit { ms[i] = newMs; mom[i] = newMom; w[i] = newW }
        case .momentum:
            let accum = v.slots[0].pointer
            let newAccum = accum[i] * o.momentum + g
            let newW = w[i] - newAccum * lr
            guard newAccum.isFinite, newW.isFinite else { return false }
            if commit { accum[i] = newAccum; w[i] = newW }
        case .sgd:
            let newW = w[i] - g * lr
            guard newW.isFinite else { return false }
            if commit { w[i] = newW }
        case .adam:
            let m = v.slots[0].pointer, s = v.slots[1].pointer
            let rate = lr * (1 - h.beta2Power).squareRoot() / (1 - h.beta1Power)
            let newM = m[i] + (g - m[i]) * (1 - o.adamBeta1)
            let newV = s[i] + (g * g - s[i]) * (1 - o.adamBeta2)
            let newW = w[i] - (newM * rate) / (newV.squareRoot() + o.epsilon)
            guard newM.isFinite, newV.isFinite, newW.isFinite else { return false }
            if commit { m[i] = newM; s[i] = newV; w[i] = newW }
        }
        return true
    }

    /// The gradient of element i with TF-Slim's L2 term (wd * w) where it applies.
    @inline(__always)
    static func gradient(_ v: Variable, _ i: Int, weightDecay: Float) -> Float {
        let g = v.gradient!.pointer[i]
        return v.regularized && weightDecay > 0 ? g + weightDecay * v.tensor.pointer[i] : g
    }
}
