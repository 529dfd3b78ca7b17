#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import MobileNet

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier of your own classes on an image folder or TF-Slim TFRecords.",
        discussion: """
            DATA is a folder with one sub-folder of JPEG/PNG images per class (the sub-folder's name \
            is the label), a .tfrecord file, a folder of them, or a shard prefix \
            (data/flowers_train for data/flowers_train_00000-of-00005.tfrecord ...). Files that do \
            not decode are reported and skipped. A stratified, seeded share of each class is held \
            out for validation after every epoch.

            --fine-tune head (the default) computes each image's embedding once and trains only a \
            new Logits layer on them; all, from=LAYER and last=N train the whole network, from a \
            layer on or the last N blocks, on TF-Slim's distorted crops; scratch trains a new \
            network of --alpha and --resolution. The learning rate decays by 0.94 every 2 epochs \
            (TF-Slim's schedule). A checkpoint is written atomically after every epoch and \
            --resume continues from one. OUT is a model file whose labels are the dataset's \
            classes: classify, describe and evaluate use it as any model.
            """)

    @Argument(help: "Image folder (a sub-folder per class), .tfrecord file(s) or a shard prefix.")
    var data: String

    @Option(help: "Model to fine-tune (safetensors). Default: $MOBILENET_MODEL, else the bundled ImageNet model.")
    var model: String?

    @Option(help: "The trained model's file (safetensors).")
    var output: String

    @Option(name: .customLong("fine-tune"), help: "head, all, from=LAYER, last=N or scratch.")
    var fineTune: String = "head"

    @Option(parsing: .unconditional, help: "Passes over the training images.")
    var epochs: Int = 10

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images per step.")
    var batchSize: Int = 32

    @Option(name: .customLong("learning-rate"), parsing: .unconditional,
            help: "Initial learning rate (TF-Slim's default 0.01; with --resume: the first run's).")
    var learningRate: Float?

    @Option(help: "rmsprop, momentum, sgd or adam (TF-Slim's default rmsprop, with its decay 0.9, momentum 0.9, epsilon 1.0).")
    var optimizer: String = "rmsprop"

    @Option(help: "BatchNorm while training the network (not head): train (batch statistics, TF-Slim's) or frozen.")
    var batchnorm: String = "train"

    // TF-Slim's 0.9997 suits ImageNet's 100,000s of steps; a small dataset's few hundred steps
    // leave the moving statistics (which evaluation uses) near their start unless it is lower.
    @Option(name: .customLong("batchnorm-decay"), parsing: .unconditional,
            help: "Moving-average decay of BatchNorm statistics (TF-Slim's 0.9997; 0.99 for short runs).")
    var batchnormDecay: Float = 0.9997

    @Option(name: .customLong("min-crop-area"), parsing: .unconditional,
            help: "Smallest share of an image's area a training crop covers (TF-Slim's 0.08; 1 = no crop).")
    var minCropArea: Double = DistortedCrop.defaultMinimumArea

    @Flag(name: .customLong("no-flip"), help: "No random left-right flips (for glyphs, text, anything handed).")
    var noFlip = false

    @Option(parsing: .unconditional, help: "Training crop size (default: the model's resolution; 224 for scratch).")
    var resolution: Int?

    @Option(parsing: .unconditional, help: "Width multiplier of a scratch network.")
    var alpha: Double = 1.0

    @Option(name: .customLong("validation-split"), parsing: .unconditional,
            help: "Share of each class held out for validation, in [0, 1).")
    var validationSplit: Double = 0.1

    @Option(parsing: .unconditional, help: "Threads (0 = one per core).")
    var threads: Int = 0

    @Option(help: "Continue from this checkpoint: its recipe, optimizer and step count apply; --epochs is the total; give the data, --batch-size, --validation-split, --seed and --resolution of the first run.")
    var resume: String?

    @Option(help: "Where to checkpoint after each epoch. Default: OUT.checkpoint.")
    var checkpoint: String?

    @Option(parsing: .unconditional, help: "Seed of the split, the shuffles, the crops and a new head.")
    var seed: UInt64 = 0

    func validate() throws {
        _ = try Recipe(parsing: fineTune)
        if let model, model.isEmpty { throw ValidationError("--model must not be empty") }
        guard !output.isEmpty else { throw ValidationError("--output must not be empty") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, not \(epochs)") }
        guard (1...Model.maxBatch).contains(batchSize) else {
            throw ValidationError("--batch-size must be in 1...\(Model.maxBatch), not \(batchSize)")
        }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw ValidationError("--learning-rate must be a number > 0, not \(learningRate)")
        }
        guard TrainingOptions.Optimizer(name: optimizer) != nil else {
            throw ValidationError("--optimizer must be rmsprop, momentum, sgd or adam, not '\(optimizer)'")
        }
        guard TrainingOptions.BatchNormMode(name: batchnorm) != nil else {
            throw ValidationError("--batchnorm must be train or frozen, not '\(batchnorm)'")
        }
        guard batchnormDecay.isFinite, batchnormDecay >= 0, batchnormDecay < 1 else {
            throw ValidationError("--batchnorm-decay must be in [0, 1), not \(batchnormDecay)")
        }
        guard minCropArea.isFinite, minCropArea > 0, minCropArea <= 1 else {
            throw ValidationError("--min-crop-area must be in (0, 1], not \(minCropArea)")
        }
        if let resolution, !(8...4096).contains(resolution) {
            throw ValidationError("--resolution must be in 8...4096, not \(resolution)")
        }
        guard validationSplit.isFinite, validationSplit >= 0, validationSplit < 1 else {
            throw ValidationError("--validation-split must be in [0, 1), not \(validationSplit)")
        }
        guard (0...LoadOptions.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be in 0...\(LoadOptions.maxThreads), not \(threads)")
        }
    }

    func run() throws {
        // Before any work: a typo in a folder name must not cost an embedding pass.
        let checkpointPath = checkpoint ?? output + ".checkpoint"
        for path in [output, checkpointPath] where !FileIO.isDirectory(PathName.parent(path.contains("/") ? path : "./" + path)) {
            throw CLIError("\(path): \(Platform.describe(errno: ENOENT)) (its folder does not exist)")
        }
        let progress = Progress()
        var dataset = try Dataset.load(data)
        progress.log("\(dataset.kind) \(data): \(dataset.samples.count) files, \(dataset.classes.count) classes")
        guard dataset.classes.count >= 2 else {
            throw CLIError("\(data): \(dataset.classes.count) class; a classifier needs at least 2")
        }
        let (trainer, base) = try openTrainer(classes: dataset.classes)
        let head = trainer.options.trainableFrom == "Logits"
        var loop: TrainingLoop
        if head {
            // The backbone does not train, so the base's (or the checkpoint's) features are the head's input.
            let backbone = try ModelLocation.load(base, options: LoadOptions(numThreads: threads))
            guard backbone.embeddingSize == trainer.embeddingSize else {
                throw CLIError("\(base): embeddings of \(backbone.embeddingSize) floats, the head takes \(trainer.embeddingSize)")
            }
            var forward = BatchForward(model: backbone)
            let start = Progress.now()
            let total = dataset.samples.count
            var tried = 0
            try dataset.dropUndecodable(report: progress.warn) { _, image in
                try forward.add(image)
                tried += 1
                let seconds = Progress.now() - start
                progress.status("embedding \(tried)/\(total) files, " + Platform.format("%.1f images/s, ", Double(tried) / seconds)
                                + Progress.duration(seconds / Double(tried) * Double(total - tried)) + " left")
            }
            try forward.flush()
            let seconds = Progress.now() - start
            progress.log("embedded \(dataset.samples.count) images in " + Platform.format("%.1f s (%.1f images/s, ", seconds,
                         Double(dataset.samples.count) / seconds) + "\(backbone.threadCount) threads, \(CPUModel.name))")
            loop = HeadLoop(trainer: trainer, embeddings: forward.values,
                            labels: dataset.samples.map { Int32($0.label) }, size: backbone.embeddingSize)
        } else {
            // Every file is decoded once up front, so a broken one is reported before training, not mid-epoch.
            let total = dataset.samples.count
            var tried = 0
            try dataset.dropUndecodable(report: progress.warn) { _, _ in
                tried += 1
                progress.status("checking \(tried)/\(total) files")
            }
            let side = try resolution ?? trainer.export(options: LoadOptions(numThreads: 1)).metadata.resolution
            loop = try ImageLoop(trainer: trainer, dataset: dataset, resolution: side, seed: seed, batchSize: batchSize,
                                 crop: DistortedCrop(minimumArea: minCropArea, flips: !noFlip))
        }
        let (train, validation) = dataset.split(validation: validationSplit, seed: seed)
        progress.log("classes (\(train.count) training, \(validation.count) validation images):")
        for line in dataset.balance(train: train, validation: validation) { progress.log(line) }
        guard !train.isEmpty else { throw CLIError("no training images") }

        let stepsPerEpoch = (train.count + batchSize - 1) / batchSize
        let stepsDone = Int(trainer.globalStep)
        guard stepsDone % stepsPerEpoch == 0 else {
            throw CLIError("the checkpoint's global step \(stepsDone) is not a whole number of epochs of "
                           + "\(stepsPerEpoch) steps: resume with the data, --batch-size and --validation-split it was trained with")
        }
        if head && resolution != nil { progress.log("(--resolution is not used by the head recipe: its embeddings are at the model's resolution)") }
        let firstEpoch = stepsDone / stepsPerEpoch
        if firstEpoch > 0 { progress.log("resuming after epoch \(firstEpoch) (global step \(stepsDone))") }
        if firstEpoch >= epochs { progress.log("the checkpoint has \(firstEpoch) epochs already; --epochs \(epochs) adds none") }
        // Steps only: the time of validation and checkpoints is not the training's speed.
        var trainingSeconds = 0.0
        var imagesDone = 0
        let imagesToDo = max(epochs - firstEpoch, 0) * train.count
        let initialRate = learningRate
            ?? (firstEpoch > 0 ? LearningRateSchedule.initial(given: trainer.options.learningRate, epoch: firstEpoch - 1) : 0.01)
        var saved = resume ?? checkpointPath  // the newest checkpoint of these weights
        for epoch in firstEpoch..<max(epochs, firstEpoch) {
            let rate = LearningRateSchedule.rate(initial: initialRate, epoch: epoch)
            try trainer.setLearningRate(rate)
            var order = train
            var random = SeededRandom(seed: seed, stream: 2, index: UInt64(epoch))
            random.shuffle(&order)
            var lossSum = 0.0, correctSum = 0, counted = 0, seen = 0
            for step in 0..<stepsPerEpoch {
                let batch = Array(order[step * batchSize..<min((step + 1) * batchSize, order.count)])
                let stepStart = Progress.now()
                let (loss, correct) = try loop.step(batch, epoch: epoch)
                trainingSeconds += Progress.now() - stepStart
                lossSum += Double(loss) * Double(batch.count)
                seen += batch.count
                if let correct { correctSum += correct; counted += batch.count }
                imagesDone += batch.count
                let elapsed = trainingSeconds
                progress.update(epoch: epoch + 1, epochs: epochs, step: step + 1, steps: stepsPerEpoch,
                                loss: lossSum / Double(seen), accuracy: counted > 0 ? Double(correctSum) / Double(counted) : nil,
                                imagesPerSecond: elapsed > 0 ? Double(imagesDone) / elapsed : 0,
                                secondsLeft: elapsed / Double(imagesDone) * Double(imagesToDo - imagesDone))
            }
            var line = "epoch \(epoch + 1)/\(epochs): loss " + Platform.format("%.4f", lossSum / Double(seen))
            if counted > 0 { line += Platform.format(", accuracy %.1f%%", 100 * Double(correctSum) / Double(counted)) }
            if !validation.isEmpty {
                let result = try loop.evaluate(validation)
                line += Platform.format("; validation loss %.4f, accuracy %.1f%% (", result.loss,
                                        100 * Double(result.correct) / Double(validation.count))
                    + "\(result.correct)/\(validation.count))"
            }
            line += "; lr " + Platform.format("%.6g", Double(rate)) + ", step \(trainer.globalStep), "
                + Platform.format("%.1f images/s", Double(imagesDone) / trainingSeconds)
            try trainer.save(pathBytes: Array(checkpointPath.utf8CString))
            saved = checkpointPath
            progress.log(line)
        }
        try saveModel(from: saved, trainer: trainer)
        progress.log("wrote \(output) (\(dataset.classes.count) classes: " + dataset.classes.joined(separator: ", ")
                     + "); checkpoint \(checkpointPath)")
    }

    /// Writes OUT: the checkpoint's weights, statistics and labels without the
    /// optimizer's slots (which triple the size of a network trained with
    /// RMSProp), reopened with plain SGD on the Logits, which has none. Resume
    /// from the checkpoint, not from OUT, to continue with the same optimizer.
    private func saveModel(from checkpointPath: String, trainer: Trainer) throws {
        var options = trainer.options
        options.optimizer = .sgd
        options.trainableFrom = "Logits"
        options.numClasses = 0  // keep the trained Logits (a count would make a new, random head)
        options.numThreads = 1
        let weights = try Trainer(pathBytes: Array(checkpointPath.utf8CString), options: options)
        guard weights.globalStep == trainer.globalStep, weights.labels == trainer.labels,
              weights.numClasses == trainer.numClasses else {
            throw CLIError("\(checkpointPath) changed while training")
        }
        try weights.save(pathBytes: Array(output.utf8CString))
    }

    /// The trainer (new, or resumed from --resume) with the dataset's classes
    /// as its labels, and the model file the head's embeddings come from.
    private func openTrainer(classes: [String]) throws -> (Trainer, String) {
        if let resume {
            func open(_ options: TrainingOptions?) throws -> Trainer {
                try UsageError.fromInvalidArgument {
                    do { return try Trainer(pathBytes: Array(resume.utf8CString), options: options) }
                    catch let error as MobileNetError where error.kind != .invalidArgument {
                        throw CLIError("checkpoint \(resume): \(error)")
                    }
                }
            }
            var trainer = try open(nil)  // the checkpoint's own options: the run continues as it was
            if threads != 0 {
                // Checkpoints do not record a thread count; the same options with --threads give the
                // same state (the slots are kept, and results do not depend on the thread count).
                var options = trainer.options
                options.numThreads = threads
                options.numClasses = 0  // keep the trained Logits
                trainer = try open(options)
            }
            guard trainer.labels == classes else {
                throw CLIError("checkpoint \(resume) has the classes " + (trainer.labels ?? []).joined(separator: ", ")
                               + ", the dataset " + classes.joined(separator: ", "))
            }
            return (trainer, resume)
        }
        var options = TrainingOptions()
        options.numThreads = threads
        options.optimizer = TrainingOptions.Optimizer(name: optimizer)!
        options.batchNorm = TrainingOptions.BatchNormMode(name: batchnorm)!
        options.batchNormDecay = batchnormDecay
        options.learningRate = learningRate ?? 0.01
        options.seed = seed
        options.numClasses = classes.count
        let recipe = try Recipe(parsing: fineTune)
        let trainer: Trainer
        let base: String
        if recipe == .scratch {
            base = "(new network)"
            let architecture = try UsageError.fromInvalidArgument {
                try Architecture(variant: .separable, widthMultiplier: alpha, numClasses: classes.count)
            }
            options.trainableFrom = try recipe.trainableFrom(architecture)
            trainer = try UsageError.fromInvalidArgument {
                try Trainer(variant: .separable, widthMultiplier: alpha, resolution: resolution ?? 224,
                            numClasses: classes.count, options: options)
            }
        } else {
            base = try ModelLocation.resolve(model)
            if case .last = recipe {  // the blocks are the file's network's
                options.trainableFrom = try recipe.trainableFrom(
                    try ModelLocation.load(base, options: LoadOptions(numThreads: 1)).architecture)
            } else {
                options.trainableFrom = try recipe.trainableFrom(try Architecture(variant: .separable, widthMultiplier: 1, numClasses: 2))
            }
            trainer = try UsageError.fromInvalidArgument {
                do { return try Trainer(pathBytes: Array(base.utf8CString), options: options) }
                catch let error as MobileNetError where error.kind != .invalidArgument {
                    throw CLIError("model \(base): \(error)")
                }
            }
        }
        try trainer.setLabels(classes)
        return (trainer, base)
    }
}
