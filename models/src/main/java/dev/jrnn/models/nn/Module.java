package dev.jrnn.models.nn;

import java.util.ArrayList;
import java.util.List;

/** Something with parameters: a layer or a model made of layers. */
public interface Module {

    /** Every trainable parameter, named as in PyTorch where there is a PyTorch equivalent. */
    List<Parameter> parameters();

    default void zeroGrad() {
        parameters().forEach(Parameter::zeroGrad);
    }

    /** The parameters of several modules, names prefixed ({@code "encoder." + name}). */
    static List<Parameter> all(Module... modules) {
        List<Parameter> all = new ArrayList<>();
        for (Module m : modules) {
            all.addAll(m.parameters());
        }
        return all;
    }
}
